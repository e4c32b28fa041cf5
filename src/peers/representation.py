"""Working representation and peer context routes' rules (spec §6.3.6, §6.3.7, §10)."""

from __future__ import annotations

import logging

from pydantic import BaseModel, Field

from src.common.validation import Name, SafeText
from src.db.engine import Database
from src.embeddings.base import Embedder
from src.observations.representation import Representation, working_representation
from src.peers import cards

logger = logging.getLogger(__name__)


class RepresentationOptions(BaseModel):
    session_id: Name | None = None
    target: Name | None = None
    search_query: SafeText | None = Field(default=None, max_length=10_000)
    search_top_k: int | None = Field(default=None, ge=1, le=100)
    search_max_distance: float | None = Field(default=None, ge=0.0, le=1.0)
    include_most_derived: bool | None = None
    max_observations: int | None = Field(default=25, ge=1, le=100)


class RepresentationResponse(BaseModel):
    """The representation, also repeated at the top level: the official SDK's
    `Session.working_rep()` reads `explicit`/`deductive` there (spec §20.3)."""

    representation: Representation
    explicit: list[object]
    deductive: list[object]


class PeerContext(BaseModel):
    peer_id: str
    target_id: str
    representation: Representation | None
    peer_card: list[str] | None


async def query_vector(embedder: Embedder | None, query: str | None) -> list[float] | None:
    """The semantic slice is best effort: without a provider (or when it fails) it is empty."""
    if embedder is None or not query:
        return None
    try:
        (vector,) = await embedder.embed([query])
    except Exception as exc:
        logger.warning("could not embed the representation query: %s", exc)
        return None
    return vector


async def representation(
    db: Database,
    embedder: Embedder | None,
    workspace: str,
    observer: str,
    options: RepresentationOptions,
    default_max: int,
) -> RepresentationResponse:
    vector = await query_vector(embedder, options.search_query)
    async with db.transaction() as conn:
        rep = await working_representation(
            conn,
            workspace,
            observer,
            options.target or observer,
            session=options.session_id,
            query_vector=vector,
            top_k=options.search_top_k,
            max_distance=options.search_max_distance,
            include_most_derived=bool(options.include_most_derived),
            max_observations=options.max_observations or default_max,
        )
    return RepresentationResponse(
        representation=rep,
        explicit=[e.model_dump(mode="json") for e in rep.explicit],
        deductive=[e.model_dump(mode="json") for e in rep.deductive],
    )


async def peer_context(
    db: Database,
    embedder: Embedder | None,
    workspace: str,
    observer: str,
    target: str | None,
    search_query: str | None,
    search_top_k: int | None,
    search_max_distance: float | None,
    include_most_derived: bool,
    max_observations: int,
) -> PeerContext:
    observed = target or observer
    vector = await query_vector(embedder, search_query)
    async with db.transaction() as conn:
        rep = await working_representation(
            conn,
            workspace,
            observer,
            observed,
            query_vector=vector,
            top_k=search_top_k,
            max_distance=search_max_distance,
            include_most_derived=include_most_derived,
            max_observations=max_observations,
        )
        card = await cards.get_card(conn, workspace, observer, observed)
    return PeerContext(peer_id=observer, target_id=observed, representation=rep, peer_card=card)
