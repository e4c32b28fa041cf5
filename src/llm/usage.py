"""LLM call accounting: which component called which model, tokens, time, errors."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import insert

from src import metrics
from src.config import ComponentLLM, Settings
from src.db.engine import Database
from src.db.tables import llm_calls
from src.llm.base import Usage
from src.llm.client import LLMClient
from src.llm.registry import llm_for

logger = logging.getLogger(__name__)


@dataclass
class ComponentClient:
    name: str
    client: LLMClient
    llm: ComponentLLM


def component_client(settings: Settings, name: str) -> ComponentClient | None:
    built = llm_for(settings, name)
    return ComponentClient(name, built[0], built[1]) if built else None


@asynccontextmanager
async def timed() -> AsyncIterator[list[float]]:
    started = time.monotonic()
    elapsed: list[float] = [0.0]
    try:
        yield elapsed
    finally:
        elapsed[0] = time.monotonic() - started


async def record_call(
    db: Database,
    component: ComponentClient,
    *,
    workspace: str | None,
    session: str | None,
    usage: Usage,
    messages: int,
    seconds: float,
    error: str | None = None,
) -> None:
    """One row per LLM call (or per call with its retries), in its own short transaction."""
    metrics.llm_call(
        component.name,
        component.llm.provider,
        component.llm.model,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        seconds=seconds,
        ok=error is None,
    )
    try:
        async with db.transaction() as conn:
            await conn.execute(
                insert(llm_calls).values(
                    workspace_name=workspace,
                    session_name=session,
                    component=component.name,
                    provider=component.llm.provider,
                    model=component.llm.model,
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    messages=messages,
                    duration_ms=int(seconds * 1000),
                    ok=error is None,
                    error=error[:2000] if error else None,
                )
            )
    except Exception:  # usage accounting must never fail the work it describes
        logger.exception("could not record LLM usage for %s", component.name)


R = TypeVar("R")


async def tracked_call(
    db: Database,
    component: ComponentClient,
    call: Callable[[], Awaitable[R]],
    usage_of: Callable[[R], Usage],
    *,
    workspace: str | None,
    session: str | None,
    messages: int = 0,
) -> R:
    """Run one LLM call (with its retries) and record it, failed or not, then return or raise."""
    async with timed() as elapsed:
        try:
            result = await call()
        except Exception as exc:
            await record_call(
                db,
                component,
                workspace=workspace,
                session=session,
                usage=getattr(exc, "usage", None) or Usage(),
                messages=messages,
                seconds=elapsed[0],
                error=f"{type(exc).__name__}: {exc}",
            )
            raise
    await record_call(
        db,
        component,
        workspace=workspace,
        session=session,
        usage=usage_of(result),
        messages=messages,
        seconds=elapsed[0],
    )
    return result
