"""The package's public surface: its names (pinned), a documented example on every public method,
type hints shipped (`py.typed`, mypy --strict clean), lint clean."""

from __future__ import annotations

import ast
import inspect
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import honcho
from honcho import async_client, types

ROOT = Path(__file__).resolve().parents[1]

# The official SDK's names (honcho-ai 1.6.0), each of which code may import from `honcho`.
OFFICIAL_NAMES = {
    "AsyncHoncho",
    "AsyncObservationScope",
    "AsyncPeer",
    "AsyncSession",
    "AsyncPage",
    "Honcho",
    "Observation",
    "ObservationScope",
    "Peer",
    "PeerBase",
    "PeerContext",
    "Session",
    "SessionBase",
    "SessionContext",
    "SessionSummaries",
    "Summary",
    "SyncPage",
    "DialecticStreamResponse",
    "Representation",
    "ExplicitObservation",
    "DeductiveObservation",
}

PINNED_ALL = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncDialecticStreamResponse",
    "AsyncHoncho",
    "AsyncObservationScope",
    "AsyncPage",
    "AsyncPeer",
    "AsyncSession",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "DeductiveObservation",
    "DeriverStatus",
    "DialecticStreamResponse",
    "ExplicitObservation",
    "Honcho",
    "HonchoError",
    "InternalServerError",
    "Message",
    "MessageCreate",
    "MessageCreateParam",
    "NotFoundError",
    "Observation",
    "ObservationScope",
    "Peer",
    "PeerBase",
    "PeerContext",
    "PermissionDeniedError",
    "RateLimitError",
    "Representation",
    "Session",
    "SessionBase",
    "SessionContext",
    "SessionPeerConfig",
    "SessionSummaries",
    "Summary",
    "SyncPage",
    "UnprocessableEntityError",
    "WebhookEndpoint",
    "Workspace",
]


def test_all_is_pinned() -> None:
    """`honcho.__all__` changes only together with this list (a public API change)."""
    assert honcho.__all__ == PINNED_ALL
    assert all(hasattr(honcho, name) for name in honcho.__all__)


def test_all_official_names_are_exported() -> None:
    """Everything `from honcho import X` works for in the official SDK works here."""
    assert set(honcho.__all__) >= OFFICIAL_NAMES
    assert set(types.__all__) <= set(dir(types))
    assert async_client.SessionPeerConfig is honcho.SessionPeerConfig
    from honcho.session import SessionPeerConfig

    assert SessionPeerConfig is honcho.SessionPeerConfig


def _public_methods() -> list[tuple[str, Any]]:
    """(qualified name, function) of every public method and property of the exported classes,
    defined in this package (pydantic's own BaseModel methods excluded)."""
    found: dict[str, Any] = {}
    for name in honcho.__all__:
        cls = getattr(honcho, name)
        if not inspect.isclass(cls):
            continue
        for klass in cls.__mro__:
            if not klass.__module__.startswith("honcho"):
                continue
            for attr, value in vars(klass).items():
                if attr.startswith("_"):
                    continue
                function = value.fget if isinstance(value, property) else value
                if isinstance(function, classmethod | staticmethod):
                    function = function.__func__
                if inspect.isfunction(function):
                    found.setdefault(f"{cls.__name__}.{attr}", function)
    return sorted(found.items())


PUBLIC_METHODS = _public_methods()


def test_there_are_many_public_methods() -> None:
    assert len(PUBLIC_METHODS) > 150


@pytest.mark.parametrize(("name", "function"), PUBLIC_METHODS, ids=[n for n, _ in PUBLIC_METHODS])
def test_public_method_has_docstring_with_example(name: str, function: Any) -> None:
    """A docstring with an `Example:` of `>>>` lines that are valid Python (await allowed)."""
    doc = inspect.getdoc(function) or ""
    assert doc.strip(), f"{name} has no docstring"
    assert "Example:" in doc and ">>>" in doc, f"{name}'s docstring has no example"
    lines = doc.split("Example:", 1)[1].splitlines()
    source = "\n".join(
        line.strip()[4:] for line in lines if line.strip().startswith((">>> ", "... "))
    )
    try:
        compile(source, name, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
    except SyntaxError as exc:
        pytest.fail(f"{name}'s example is not valid Python: {exc}\n{source}")


# The official SDK's methods and their parameters, in order (honcho-ai 1.6.0, spec §17.2). Code
# calling them by position or by keyword works the same here.
SEARCH = ["query", "filters", "limit"]
REP = ["search_query", "search_top_k", "search_max_distance", "include_most_derived"]
OFFICIAL_SIGNATURES: dict[str, dict[str, list[str]]] = {
    "Honcho": {
        "delete_workspace": ["workspace_id"],
        "get_config": [],
        "get_deriver_status": ["observer", "sender", "session"],
        "get_metadata": [],
        "get_peers": ["filters"],
        "get_sessions": ["filters"],
        "get_workspaces": ["filters"],
        "peer": ["id", "metadata", "config"],
        "poll_deriver_status": ["observer", "sender", "session", "timeout"],
        "refresh": [],
        "search": SEARCH,
        "session": ["id", "metadata", "config"],
        "set_config": ["configuration"],
        "set_metadata": ["metadata"],
        "update_message": ["message", "metadata", "session"],
    },
    "Peer": {
        "card": ["target"],
        "chat": ["query", "stream", "target", "session"],
        "get_config": [],
        "get_context": ["target", *REP, "max_observations"],
        "get_metadata": [],
        "get_peer_config": [],
        "get_sessions": ["filters"],
        "message": ["content", "metadata", "config", "created_at"],
        "observations_of": ["target"],
        "refresh": [],
        "search": SEARCH,
        "set_config": ["config"],
        "set_metadata": ["metadata"],
        "set_peer_config": ["config"],
        "working_rep": ["session", "target", *REP, "max_observations"],
    },
    "Session": {
        "add_peers": ["peers"],
        "clone": ["message_id"],
        "delete": [],
        "get_config": [],
        "get_context": [
            "summary",
            "tokens",
            "peer_target",
            "last_user_message",
            "peer_perspective",
            "limit_to_session",
            "search_top_k",
            "search_max_distance",
            "include_most_derived",
            "max_observations",
        ],
        "get_deriver_status": ["observer", "sender"],
        "get_messages": ["filters"],
        "get_metadata": [],
        "get_peer_config": ["peer"],
        "get_peers": [],
        "get_summaries": [],
        "poll_deriver_status": ["observer", "sender", "timeout"],
        "refresh": [],
        "remove_peers": ["peers"],
        "search": SEARCH,
        "set_config": ["configuration"],
        "set_metadata": ["metadata"],
        "set_peer_config": ["peer", "config"],
        "set_peers": ["peers"],
        "upload_file": ["file", "peer", "metadata", "configuration", "created_at"],
        "working_rep": ["peer", "target", *REP, "max_observations"],
    },
    "ObservationScope": {
        "create": ["observations"],
        "delete": ["observation_id"],
        "get_representation": [*REP, "max_observations"],
        "list": ["page", "size", "session"],
        "query": ["query", "top_k", "distance"],
    },
    "SessionContext": {"to_anthropic": ["assistant"], "to_openai": ["assistant"]},
    "SyncPage": {"get_next_page": [], "has_next_page": []},
    "DialecticStreamResponse": {"get_final_response": []},
    "Representation": {
        "diff_representation": ["other"],
        "format_as_markdown": [],
        "from_dict": ["data"],
        "is_empty": [],
        "merge_representation": ["other", "max_observations"],
        "str_no_timestamps": [],
    },
}
# Properties of the official classes (instance attributes such as `id`, `workspace_id` and a
# page's `total`/`page`/`size`/`pages` are used throughout the live tests).
OFFICIAL_PROPERTIES = {
    "Honcho": ["workspace_id", "metadata", "configuration"],
    "Peer": ["metadata", "configuration", "observations"],
    "Session": ["metadata", "configuration"],
    "SyncPage": ["items"],
    "DialecticStreamResponse": ["is_complete"],
}


@pytest.mark.parametrize("cls_name", sorted(OFFICIAL_SIGNATURES))
def test_official_methods_and_parameters(cls_name: str) -> None:
    """Every method of the official SDK exists with the same parameters in the same order (the
    async twins are checked against these below)."""
    cls = getattr(honcho, cls_name)
    for method, expected in OFFICIAL_SIGNATURES[cls_name].items():
        params = [
            p.name
            for p in inspect.signature(getattr(cls, method)).parameters.values()
            if p.name not in ("self", "cls")
        ]
        assert params[: len(expected)] == expected, f"{cls_name}.{method}: {params}"
    for name in OFFICIAL_PROPERTIES.get(cls_name, []):
        assert isinstance(inspect.getattr_static(cls, name), property), f"{cls_name}.{name}"


def test_add_messages_takes_varargs_lists_and_the_official_keyword() -> None:
    params = inspect.signature(honcho.Session.add_messages).parameters
    assert params["items"].kind is inspect.Parameter.VAR_POSITIONAL
    assert params["messages"].kind is inspect.Parameter.KEYWORD_ONLY


def test_async_twins_have_the_same_methods() -> None:
    """AsyncHoncho/AsyncPeer/AsyncSession/AsyncObservationScope mirror the sync classes."""
    pairs = [
        (honcho.Honcho, honcho.AsyncHoncho),
        (honcho.Peer, honcho.AsyncPeer),
        (honcho.Session, honcho.AsyncSession),
        (honcho.ObservationScope, honcho.AsyncObservationScope),
        (honcho.SyncPage, honcho.AsyncPage),
        (honcho.DialecticStreamResponse, honcho.AsyncDialecticStreamResponse),
    ]
    for sync_cls, async_cls in pairs:
        sync = {n for n in dir(sync_cls) if not n.startswith("_")}
        asyn = {n for n in dir(async_cls) if not n.startswith("_")}
        assert sync == asyn, (sync_cls.__name__, sync ^ asyn)
        for name in sync:
            sync_attr = inspect.getattr_static(sync_cls, name)
            async_attr = inspect.getattr_static(async_cls, name)
            if isinstance(sync_attr, property) or not inspect.isfunction(sync_attr):
                continue
            sync_params = list(inspect.signature(sync_attr).parameters)
            async_params = list(inspect.signature(async_attr).parameters)
            assert sync_params == async_params, f"{async_cls.__name__}.{name}"


def test_package_ships_type_information() -> None:
    assert (Path(honcho.__file__).parent / "py.typed").is_file()


def _tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_mypy_strict() -> None:
    """mypy --strict (pyproject.toml) passes on the package, its examples and these tests."""
    done = _tool("mypy")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff() -> None:
    done = _tool("ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr
    done = _tool("ruff", "format", "--check", ".")
    assert done.returncode == 0, done.stdout + done.stderr
