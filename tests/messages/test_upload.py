"""File upload: extraction by content type, chunking, limits (spec §6.5.2)."""

from __future__ import annotations

import json

import httpx
import psycopg

from src.messages.files import split_text


def _upload(
    client: httpx.Client, ws: str, name: str, data: bytes, ctype: str, **form: str
) -> httpx.Response:
    return client.post(
        f"/v2/workspaces/{ws}/sessions/s/messages/upload",
        files={"file": (name, data, ctype)},
        data={"peer_id": "alice", **form},
    )


def _pdf(pages: list[str]) -> bytes:
    """A minimal, valid PDF with one line of Helvetica text per page."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + 2 * i} 0 R" for i in range(len(pages)))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode())
    font_ref = 3 + 2 * len(pages)
    for i, text in enumerate(pages):
        stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + 2 * i} 0 R "
            f"/Resources << /Font << /F1 {font_ref} 0 R >> >> >>".encode()
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def test_text_upload_becomes_message_with_provenance(
    client: httpx.Client, workspace: str, database_url: str
) -> None:
    r = _upload(
        client,
        workspace,
        "notes.txt",
        "héllo world".encode(),
        "text/plain",
        metadata=json.dumps({"src": "file"}),
        created_at="2024-05-01T00:00:00Z",
    )
    assert r.status_code == 200, r.text
    (m,) = r.json()
    assert m["content"] == "héllo world" and m["metadata"] == {"src": "file"}
    assert m["created_at"] == "2024-05-01T00:00:00Z" and m["peer_id"] == "alice"
    with psycopg.connect(database_url.replace("+psycopg", "")) as conn:
        (internal,) = conn.execute(
            "SELECT internal_metadata FROM messages WHERE public_id = %s", (m["id"],)
        ).fetchone()
    assert internal["filename"] == "notes.txt" and internal["total_chunks"] == 1
    assert internal["chunk_character_range"] == [0, 11]


def test_json_and_pdf_uploads(client: httpx.Client, workspace: str) -> None:
    r = _upload(client, workspace, "d.json", b'{"a":1,"b":["x"]}', "application/json")
    assert [m["content"] for m in r.json()] == ['{"a": 1, "b": ["x"]}']
    pdf = _upload(
        client, workspace, "d.pdf", _pdf(["Hello page one", "Second page"]), "application/pdf"
    )
    assert pdf.status_code == 200, pdf.text
    assert pdf.json()[0]["content"] == "[Page 1]\nHello page one\n\n[Page 2]\nSecond page"


def test_large_text_is_chunked(client: httpx.Client, workspace: str) -> None:
    paragraph = "word " * 199 + "end.\n\n"
    data = (paragraph * 63).encode()  # ~63 000 characters
    r = _upload(client, workspace, "big.txt", data, "text/plain")
    msgs = r.json()
    assert len(msgs) == 3
    assert all(len(m["content"]) <= 25_000 for m in msgs)
    assert "".join(m["content"] for m in msgs) == data.decode()
    assert all(m["content"].endswith("\n\n") for m in msgs[:-1])


def test_upload_refusals(client: httpx.Client, workspace: str) -> None:
    assert (
        _upload(client, workspace, "x.bin", b"\x00\x01", "application/octet-stream").status_code
        == 415
    )
    assert _upload(client, workspace, "x.json", b"{oops", "application/json").status_code == 422
    assert _upload(client, workspace, "x.pdf", b"not a pdf", "application/pdf").status_code == 422
    assert (
        _upload(client, workspace, "x.txt", b"ok", "text/plain", metadata="[1]").status_code == 422
    )
    big = _upload(client, workspace, "x.txt", b"a" * (5_242_880 + 1), "text/plain")
    assert big.status_code == 413
    no_peer = client.post(
        f"/v2/workspaces/{workspace}/sessions/s/messages/upload",
        files={"file": ("a.txt", b"x", "text/plain")},
    )
    assert no_peer.status_code == 422
    listed = client.post(f"/v2/workspaces/{workspace}/sessions/s/messages/list").json()
    assert listed["total"] == 0


def test_split_text_prefers_natural_breaks() -> None:
    assert split_text("", 10) == [""]
    assert split_text("aaaa bbbb cccc", 10) == ["aaaa bbbb ", "cccc"]
    assert split_text("one. two three", 9) == ["one. ", "two three"]
    assert split_text("one two. three four", 12) == ["one two. ", "three four"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]
