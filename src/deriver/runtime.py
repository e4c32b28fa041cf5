"""What a deriver process builds once: database, LLM clients per component, the embedder."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import insert

from src.config import ComponentLLM, Settings
from src.db.engine import Database
from src.db.tables import llm_calls
from src.embeddings.base import Embedder
from src.embeddings.registry import embedder_for
from src.llm.base import Usage
from src.llm.client import LLMClient
from src.llm.registry import llm_for

logger = logging.getLogger(__name__)


@dataclass
class ComponentClient:
    name: str
    client: LLMClient
    llm: ComponentLLM


@dataclass
class Runtime:
    settings: Settings
    db: Database
    deriver: ComponentClient | None
    summary: ComponentClient | None
    peer_card: ComponentClient | None
    embedder: Embedder | None

    @classmethod
    def build(cls, settings: Settings, db: Database) -> Runtime:
        def component(name: str) -> ComponentClient | None:
            built = llm_for(settings, name)
            return ComponentClient(name, built[0], built[1]) if built else None

        return cls(
            settings=settings,
            db=db,
            deriver=component("deriver"),
            summary=component("summary"),
            peer_card=component("peer_card"),
            embedder=embedder_for(settings),
        )

    def describe(self) -> str:
        def one(c: ComponentClient | None) -> str:
            return f"{c.llm.provider}/{c.llm.model}" if c else "off"

        embedder = f"{self.embedder.name}/{self.embedder.model}" if self.embedder else "off"
        return (
            f"representation {one(self.deriver)}, summaries {one(self.summary)}, "
            f"peer cards {one(self.peer_card)}, embeddings {embedder}"
        )

    async def aclose(self) -> None:
        for c in (self.deriver, self.summary, self.peer_card):
            if c is not None:
                await c.client.aclose()
        if self.embedder is not None:
            await self.embedder.aclose()


@dataclass
class CallRecord:
    """Filled in by `record_call` users; written to `llm_calls` for cost reporting."""

    usage: Usage
    ok: bool = True
    error: str | None = None


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
