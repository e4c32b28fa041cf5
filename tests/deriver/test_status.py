"""`GET /v2/workspaces/{w}/deriver/status` counts (spec §4.13, §6.2.6, §13.6, with our documented
differences from the reference, §20.2 #5: `sessions` keyed by session name, filters ANDed) and
the enqueue rules behind them (§5.3, §5.4, §5.5, §13.2).

No deriver runs unless a test starts one, so enqueued items stay pending and counts are exact.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests.deriver.conftest import DeriverFactory, send, status, wait_drained
from tests.deriver.scripted import ScriptedLLM
from tests.support import unique

ZERO = {
    "total_work_units": 0,
    "completed_work_units": 0,
    "in_progress_work_units": 0,
    "pending_work_units": 0,
}


def counts(body: dict[str, Any]) -> dict[str, int]:
    return {key: body[key] for key in ZERO}


def pending(n: int) -> dict[str, int]:
    return {**ZERO, "total_work_units": n, "pending_work_units": n}


def total(api: httpx.Client, workspace: str, **params: str) -> int:
    value: int = status(api, workspace, **params)["total_work_units"]
    return value


def session(
    api: httpx.Client,
    workspace: str,
    name: str,
    peers: dict[str, dict[str, Any]],
    configuration: dict[str, Any] | None = None,
) -> None:
    body: dict[str, Any] = {"id": name, "peers": peers}
    if configuration is not None:
        body["configuration"] = configuration
    r = api.post(f"/v2/workspaces/{workspace}/sessions", json=body)
    assert r.status_code == 200, r.text


def send_configured(
    api: httpx.Client, workspace: str, name: str, peer: str, configuration: dict[str, Any]
) -> None:
    r = api.post(
        f"/v2/workspaces/{workspace}/sessions/{name}/messages/",
        json={"messages": [{"peer_id": peer, "content": "hello", "configuration": configuration}]},
    )
    assert r.status_code == 200, r.text


# --- counts ------------------------------------------------------------------------------------


def test_one_pending_item_per_message(api: httpx.Client, ws: str) -> None:
    """Each message enqueues one representation item; with no deriver all stay pending."""
    assert counts(status(api, ws)) == ZERO
    send(api, ws, "s1", ("alice", "hi"), ("bob", "hello"), ("alice", "how are you?"))
    body = status(api, ws)
    assert counts(body) == pending(3)
    send(api, ws, "s1", ("bob", "fine"))
    assert counts(status(api, ws)) == pending(4)


def test_sessions_map_is_keyed_by_session_name(api: httpx.Client, ws: str) -> None:
    """`sessions` maps each session NAME to its counts, with `session_id` = the name."""
    send(api, ws, "s1", ("alice", "one"), ("bob", "two"))
    send(api, ws, "s2", ("alice", "three"))
    body = status(api, ws)
    assert counts(body) == pending(3)
    assert set(body["sessions"]) == {"s1", "s2"}
    assert body["sessions"]["s1"]["session_id"] == "s1"
    assert counts(body["sessions"]["s1"]) == pending(2)
    assert body["sessions"]["s2"]["session_id"] == "s2"
    assert counts(body["sessions"]["s2"]) == pending(1)


def test_session_filter_counts_one_session_without_map(api: httpx.Client, ws: str) -> None:
    """With `session_id` the totals are that session's and `sessions` is null."""
    send(api, ws, "s1", ("alice", "one"), ("bob", "two"))
    send(api, ws, "s2", ("alice", "three"))
    body = status(api, ws, session_id="s1")
    assert counts(body) == pending(2) and body["sessions"] is None
    body = status(api, ws, session_id="s2")
    assert counts(body) == pending(1) and body["sessions"] is None


def test_empty_filter_values_mean_no_filter(api: httpx.Client, ws: str) -> None:
    """Empty-string query values are treated as absent (spec §6.2.6)."""
    send(api, ws, "s1", ("alice", "one"))
    send(api, ws, "s2", ("bob", "two"))
    body = status(api, ws, session_id="", sender_id="", observer_id="")
    assert counts(body) == pending(2) and set(body["sessions"]) == {"s1", "s2"}


def test_zeros_for_unknown_workspace_or_session(api: httpx.Client, ws: str) -> None:
    """An unknown workspace or session is 200 with zero counts and no `sessions` map."""
    send(api, ws, "s1", ("alice", "one"))
    for body in (
        status(api, unique("nows")),
        status(api, ws, session_id="nosuch"),
        status(api, ws, sender_id="nobody"),
        status(api, ws, observer_id="nobody"),
    ):
        assert counts(body) == ZERO and body["sessions"] is None
    assert counts(status(api, ws)) == pending(1)


def test_summary_items_only_at_the_cadence(api: httpx.Client, ws: str) -> None:
    """Summary items only at multiples of the short/long cadence; sender filters skip them."""
    send(api, ws, "d", *[("alice", f"m{i}") for i in range(19)])
    assert total(api, ws, session_id="d") == 19
    send(api, ws, "d", ("alice", "m19"))
    assert total(api, ws, session_id="d") == 21
    assert total(api, ws, session_id="d", sender_id="alice") == 20

    summary = {"summary": {"messages_per_short_summary": 10, "messages_per_long_summary": 20}}
    session(api, ws, "c", {"alice": {}}, configuration=summary)
    send(api, ws, "c", *[("alice", f"m{i}") for i in range(20)])
    assert total(api, ws, session_id="c") == 22  # 20 + summaries at messages 10 and 20
    assert total(api, ws, session_id="c", sender_id="alice") == 20

    session(api, ws, "off", {"alice": {}}, configuration={"summary": {"enabled": False}})
    send(api, ws, "off", *[("alice", f"m{i}") for i in range(20)])
    assert total(api, ws, session_id="off") == 20


def _three_peer_workspace(api: httpx.Client, ws: str) -> None:
    """s1: alice, bob (nobody observes others): alice x2, bob x1.
    s2: alice, bob, charlie (charlie observes others): alice x1, bob x2. Charlie never speaks."""
    session(api, ws, "s1", {"alice": {}, "bob": {}})
    session(api, ws, "s2", {"alice": {}, "bob": {}, "charlie": {"observe_others": True}})
    send(api, ws, "s1", ("alice", "a1"), ("bob", "b1"), ("alice", "a2"))
    send(api, ws, "s2", ("alice", "a3"), ("bob", "b2"), ("bob", "b3"))


def test_sender_filter(api: httpx.Client, ws: str) -> None:
    """`sender_id` counts the items of that peer's messages, per session in the map."""
    _three_peer_workspace(api, ws)
    body = status(api, ws, sender_id="alice")
    assert counts(body) == pending(3)
    assert {k: v["total_work_units"] for k, v in body["sessions"].items()} == {"s1": 2, "s2": 1}
    assert total(api, ws, sender_id="bob") == 3
    assert total(api, ws, sender_id="charlie") == 0


def test_sender_and_session_filters_are_anded(api: httpx.Client, ws: str) -> None:
    """sender=alice & session=s2 counts only alice's messages in s2 (not an OR of the two)."""
    _three_peer_workspace(api, ws)
    body = status(api, ws, sender_id="alice", session_id="s2")
    assert counts(body) == pending(1) and body["sessions"] is None
    assert total(api, ws, sender_id="bob", session_id="s1") == 1
    assert total(api, ws, sender_id="charlie", session_id="s2") == 0


def test_observer_filter_counts_views_the_observer_is_fed(api: httpx.Client, ws: str) -> None:
    """observer=charlie counts others' messages in sessions where charlie observes others."""
    _three_peer_workspace(api, ws)
    body = status(api, ws, observer_id="charlie")
    assert counts(body) == pending(3)
    assert set(body["sessions"]) == {"s2"}
    assert total(api, ws, observer_id="alice") == 3  # alice's global view: her own messages
    assert total(api, ws, observer_id="bob") == 3


def test_observer_sender_and_session_filters_are_anded(api: httpx.Client, ws: str) -> None:
    """observer and sender together are ANDed (the reference ORs them, §20.2 #5)."""
    _three_peer_workspace(api, ws)
    assert total(api, ws, observer_id="charlie", sender_id="alice") == 1
    assert total(api, ws, observer_id="charlie", sender_id="bob") == 2
    assert total(api, ws, observer_id="charlie", sender_id="bob", session_id="s1") == 0
    assert total(api, ws, observer_id="charlie", sender_id="bob", session_id="s2") == 2
    assert total(api, ws, observer_id="alice", sender_id="bob") == 0


def test_observer_filter_includes_own_global_view(api: httpx.Client, ws: str) -> None:
    """observer=X also counts X's own messages (its global view, observer == observed)."""
    _three_peer_workspace(api, ws)
    send(api, ws, "s1", ("charlie", "c1"))
    assert total(api, ws, observer_id="charlie") == 4
    assert total(api, ws, observer_id="charlie", session_id="s1") == 1
    assert total(api, ws, observer_id="charlie", sender_id="charlie") == 1


def test_drained_queue_counts_everything_completed(
    api: httpx.Client, ws: str, llm: ScriptedLLM, deriver: DeriverFactory
) -> None:
    """Drained by a deriver: pending and in_progress 0, completed = total, per session too."""
    _three_peer_workspace(api, ws)
    before = status(api, ws)
    assert counts(before) == pending(6)
    deriver()
    done = wait_drained(api, ws)
    assert counts(done) == {
        **ZERO,
        "total_work_units": 6,
        "completed_work_units": 6,
    }
    for name, expected in (("s1", 3), ("s2", 3)):
        per_session = done["sessions"][name]
        assert per_session["pending_work_units"] == per_session["in_progress_work_units"] == 0
        assert per_session["completed_work_units"] == per_session["total_work_units"] == expected
    charlie = status(api, ws, observer_id="charlie")
    assert charlie["completed_work_units"] == charlie["total_work_units"] == 3


# --- enqueue rules -----------------------------------------------------------------------------


def test_message_with_deriver_disabled_enqueues_nothing(api: httpx.Client, ws: str) -> None:
    """Message configuration `deriver.enabled: false` enqueues nothing for that message only."""
    session(api, ws, "s", {"alice": {}, "bob": {"observe_others": True}})
    send_configured(api, ws, "s", "alice", {"deriver": {"enabled": False}})
    assert counts(status(api, ws)) == ZERO
    send(api, ws, "s", ("alice", "derive me"))
    assert total(api, ws) == 1


def test_peer_not_observed_enqueues_nothing(api: httpx.Client, ws: str) -> None:
    """A peer configured `observe_me: false` feeds no view: neither its own nor an observer's."""
    r = api.post(
        f"/v2/workspaces/{ws}/peers", json={"id": "alice", "configuration": {"observe_me": False}}
    )
    assert r.status_code == 200, r.text
    session(api, ws, "s", {"alice": {}, "bob": {"observe_others": True}})
    send(api, ws, "s", ("alice", "private"), ("alice", "also private"))
    assert counts(status(api, ws)) == ZERO
    send(api, ws, "s", ("bob", "public"))
    assert total(api, ws) == 1 and total(api, ws, sender_id="bob") == 1


def test_session_observe_me_false_overrides_peer(api: httpx.Client, ws: str) -> None:
    """Session-level `observe_me: false` blocks the sender's messages in that session only."""
    session(api, ws, "quiet", {"alice": {"observe_me": False}, "bob": {"observe_others": True}})
    send(api, ws, "quiet", ("alice", "private"))
    assert counts(status(api, ws)) == ZERO
    send(api, ws, "loud", ("alice", "public"))
    assert total(api, ws) == 1 and total(api, ws, session_id="loud") == 1


def test_session_observe_me_false_set_through_peer_config_route(api: httpx.Client, ws: str) -> None:
    """`observe_me: false` set later with the session-peer config route blocks later messages."""
    session(api, ws, "s", {"alice": {}})
    send(api, ws, "s", ("alice", "before"))
    r = api.post(f"/v2/workspaces/{ws}/sessions/s/peers/alice/config", json={"observe_me": False})
    assert r.status_code < 300, r.text
    send(api, ws, "s", ("alice", "after"))
    assert total(api, ws) == 1


def test_session_observe_me_true_overrides_unobserved_peer(api: httpx.Client, ws: str) -> None:
    """Session-level `observe_me: true` overrides the peer's `observe_me: false`."""
    api.post(
        f"/v2/workspaces/{ws}/peers", json={"id": "alice", "configuration": {"observe_me": False}}
    )
    session(api, ws, "s", {"alice": {"observe_me": True}})
    send(api, ws, "s", ("alice", "observed here"))
    assert total(api, ws) == 1


def test_later_configuration_level_wins(api: httpx.Client, ws: str) -> None:
    """Workspace < session < message configuration: the later `deriver.enabled` wins."""
    r = api.put(f"/v2/workspaces/{ws}", json={"configuration": {"deriver": {"enabled": False}}})
    assert r.status_code == 200, r.text
    send(api, ws, "off", ("alice", "not derived"))
    assert counts(status(api, ws)) == ZERO
    session(api, ws, "on", {"alice": {}}, configuration={"deriver": {"enabled": True}})
    send(api, ws, "on", ("alice", "derived"))
    assert total(api, ws) == 1 and total(api, ws, session_id="on") == 1
    send_configured(api, ws, "off", "alice", {"deriver": {"enabled": True}})
    assert total(api, ws, session_id="off") == 1
    send_configured(api, ws, "on", "alice", {"deriver": {"enabled": False}})
    assert total(api, ws, session_id="on") == 1
