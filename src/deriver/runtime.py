"""What a deriver process builds once: database, LLM clients per component, the embedder."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from src.config import Settings
from src.db.engine import Database
from src.embeddings.base import Embedder
from src.embeddings.registry import embedder_for
from src.llm.usage import ComponentClient, component_client

logger = logging.getLogger(__name__)


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
        return cls(
            settings=settings,
            db=db,
            deriver=component_client(settings, "deriver"),
            summary=component_client(settings, "summary"),
            peer_card=component_client(settings, "peer_card"),
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
