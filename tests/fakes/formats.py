"""Vendor wire formats for the fake: completions, SSE streams, errors and embeddings."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.fakes.embedding import hashed_embedding
from tests.fakes.script import RecordedRequest, Reply

DEFAULT_EMBEDDING_DIMENSIONS = 1536


def _words(text: str) -> int:
    return len(text.split())


def _sse(data: Any, event: str | None = None) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n"


def error_body(rec: RecordedRequest, reply: Reply) -> dict[str, Any]:
    if rec.api == "anthropic":
        kind = {429: "rate_limit_error", 529: "overloaded_error"}.get(reply.status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": reply.message}}
    if rec.api == "gemini":
        status = "RESOURCE_EXHAUSTED" if reply.status == 429 else "INTERNAL"
        return {"error": {"code": reply.status, "message": reply.message, "status": status}}
    return {"error": {"message": reply.message, "type": "fake_error", "code": reply.status}}


def _anthropic_tool(rec: RecordedRequest, reply: Reply) -> str | None:
    """The forced tool's name when this reply answers a tool request with a JSON value."""
    tools = rec.body.get("tools") if isinstance(rec.body, dict) else None
    if tools and reply.value is not None:
        return str(tools[0]["name"])
    return None


def completion(rec: RecordedRequest, reply: Reply) -> dict[str, Any]:
    text, model = reply.text, rec.model
    prompt, output = rec.prompt_words, _words(reply.text)
    if rec.api == "anthropic":
        tool = _anthropic_tool(rec, reply)
        block: dict[str, Any] = (
            {"type": "tool_use", "id": "toolu_fake", "name": tool, "input": reply.value}
            if tool
            else {"type": "text", "text": text}
        )
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [block],
            "stop_reason": "tool_use" if tool else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": prompt, "output_tokens": output},
        }
    if rec.api == "gemini":
        return {
            "candidates": [
                {
                    "content": {"role": "model", "parts": [{"text": text}]},
                    "finishReason": "STOP",
                    "index": 0,
                }
            ],
            "usageMetadata": _gemini_usage(prompt, output),
            "modelVersion": model,
        }
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if reply.reasoning is not None:
        message["reasoning_content"] = reply.reasoning
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "stop",
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": output,
            "total_tokens": prompt + output,
        },
    }


def _gemini_usage(prompt: int, output: int) -> dict[str, int]:
    return {
        "promptTokenCount": prompt,
        "candidatesTokenCount": output,
        "totalTokenCount": prompt + output,
    }


def stream_events(rec: RecordedRequest, reply: Reply) -> tuple[list[str], list[str], list[str]]:
    """(head, one event per chunk, tail) of the SSE stream answering `rec` with `reply`."""
    prompt, output, model = rec.prompt_words, _words(reply.text), rec.model
    if rec.api == "anthropic":
        tool = _anthropic_tool(rec, reply)
        message = {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [],
            "usage": {"input_tokens": prompt, "output_tokens": 1},
        }
        start_block = (
            {"type": "tool_use", "id": "toolu_fake", "name": tool, "input": {}}
            if tool
            else {"type": "text", "text": ""}
        )
        head = [
            _sse({"type": "message_start", "message": message}, "message_start"),
            _sse(
                {"type": "content_block_start", "index": 0, "content_block": start_block},
                "content_block_start",
            ),
            _sse({"type": "ping"}, "ping"),
        ]
        body = [
            _sse(
                {
                    "type": "content_block_delta",
                    "index": 0,
                    "delta": {"type": "input_json_delta", "partial_json": chunk}
                    if tool
                    else {"type": "text_delta", "text": chunk},
                },
                "content_block_delta",
            )
            for chunk in reply.chunks
        ]
        tail = [
            _sse({"type": "content_block_stop", "index": 0}, "content_block_stop"),
            _sse(
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": "tool_use" if tool else "end_turn"},
                    "usage": {"output_tokens": output},
                },
                "message_delta",
            ),
            _sse({"type": "message_stop"}, "message_stop"),
        ]
        return head, body, tail
    if rec.api == "gemini":
        events, seen = [], 0
        for i, chunk in enumerate(reply.chunks):
            seen += _words(chunk)
            candidate: dict[str, Any] = {"content": {"role": "model", "parts": [{"text": chunk}]}}
            if i == len(reply.chunks) - 1:
                candidate["finishReason"] = "STOP"
            events.append(
                _sse({"candidates": [candidate], "usageMetadata": _gemini_usage(prompt, seen)})
            )
        return [], events, []

    def chunk_event(delta: dict[str, Any], finish: str | None) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return _sse(
            {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [choice],
            }
        )

    head = [chunk_event({"role": "assistant", "content": ""}, None)]
    body = [chunk_event({"content": chunk}, None) for chunk in reply.chunks]
    tail = [chunk_event({}, "stop")]
    options = rec.body.get("stream_options") if isinstance(rec.body, dict) else None
    if isinstance(options, dict) and options.get("include_usage"):
        usage = {
            "prompt_tokens": prompt,
            "completion_tokens": output,
            "total_tokens": prompt + output,
        }
        tail.append(
            _sse(
                {
                    "id": "chatcmpl-fake",
                    "object": "chat.completion.chunk",
                    "model": model,
                    "choices": [],
                    "usage": usage,
                }
            )
        )
    tail.append("data: [DONE]\n\n")
    return head, body, tail


def embeddings(rec: RecordedRequest, forced_dimensions: int | None) -> dict[str, Any]:
    body = rec.body if isinstance(rec.body, dict) else {}
    if rec.api == "gemini":
        vectors = []
        for item in body.get("requests", []):
            dims = forced_dimensions or int(
                item.get("outputDimensionality") or DEFAULT_EMBEDDING_DIMENSIONS
            )
            text = "".join(str(p.get("text", "")) for p in item["content"]["parts"])
            vectors.append({"values": hashed_embedding(text, dims)})
        return {"embeddings": vectors}
    inputs = body.get("input", [])
    texts = [inputs] if isinstance(inputs, str) else list(inputs)
    dims = forced_dimensions or int(body.get("dimensions") or DEFAULT_EMBEDDING_DIMENSIONS)
    words = sum(_words(t) for t in texts)
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": i, "embedding": hashed_embedding(t, dims)}
            for i, t in enumerate(texts)
        ],
        "model": rec.model,
        "usage": {"prompt_tokens": words, "total_tokens": words},
    }
