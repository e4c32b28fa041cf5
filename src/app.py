"""The FastAPI application."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response

from src import health, logs, metrics
from src.auth.router import router as keys_router
from src.common import tokens
from src.config import Settings, get_settings
from src.db.engine import Database, build_engine
from src.db.migrate import current_revision, head_revision
from src.deriver.router import router as deriver_router
from src.deriver.status import derivation_state
from src.dialectic.router import router as dialectic_router
from src.embeddings.registry import embedder_for
from src.embeddings.schema import check_dimensions
from src.errors import ConfigurationMissing, NotFoundError, install_handlers
from src.llm.usage import component_client
from src.messages.router import router as messages_router
from src.observations.router import router as observations_router
from src.peers.router import router as peers_router
from src.sessions.router import router as sessions_router
from src.webhooks.router import router as webhooks_router
from src.workspaces.router import router as workspaces_router

logger = logging.getLogger(__name__)


def database_url(settings: Settings) -> str:
    url = settings.db.CONNECTION_URI
    if url is None:
        raise ConfigurationMissing(
            "DB_CONNECTION_URI is not set; start the server with `honcho serve` or `honcho api`, "
            "which start the embedded PostgreSQL when no database is configured"
        )
    return url


def check_schema(url: str, schema: str) -> None:
    current, head = current_revision(url, schema), head_revision()
    if current != head:
        raise ConfigurationMissing(
            f"database schema is at revision {current or 'none'} but this server needs {head}; "
            "run `honcho migrate`"
        )


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    url = database_url(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_schema(url, settings.db.SCHEMA)
        check_dimensions(url, settings)
        tokens.warm_up()
        db = Database(build_engine(url, settings.db))
        app.state.db = db
        app.state.embedder = embedder_for(settings)
        app.state.dialectic = component_client(settings, "dialectic")
        logger.info(
            "API ready (auth %s)",
            "enabled" if settings.auth.USE_AUTH else "disabled: every caller is admin",
        )
        derivation = derivation_state(settings)
        (logger.info if derivation.enabled else logger.warning)("%s", derivation.detail)
        try:
            yield
        finally:
            if app.state.embedder is not None:
                await app.state.embedder.aclose()
            if app.state.dialectic is not None:
                await app.state.dialectic.client.aclose()
            await db.dispose()

    app = FastAPI(
        title="Honcho",
        version="2.5.1",
        summary="Memory and reasoning server for AI applications and agents (v2 API)",
        lifespan=lifespan,
    )
    app.state.settings = settings
    install_handlers(app)
    recorder = metrics.configure(settings)
    if recorder is not None:
        app.add_middleware(metrics.RequestMetricsMiddleware, metrics=recorder)

    @app.get("/metrics", include_in_schema=False)
    async def get_metrics(request: Request) -> Response:
        """Prometheus exposition (METRICS_ENABLED); 404 "Metrics are disabled" otherwise."""
        if recorder is None:
            raise NotFoundError("Metrics are disabled")
        body, content_type = await metrics.exposition(recorder, request.app.state.db)
        return Response(body, media_type=content_type)

    for router in (
        workspaces_router,
        peers_router,
        sessions_router,
        messages_router,
        observations_router,
        deriver_router,
        dialectic_router,
        keys_router,
        webhooks_router,
        health.router,
    ):
        app.include_router(router)
    return app


def create_app_from_env() -> logs.RequestIdMiddleware:
    """Uvicorn factory: settings (and DB_CONNECTION_URI) come from the environment. Request ids
    wrap the whole application, outside even Starlette's last-resort error handler, so that an
    unhandled error's log line and its 500 carry the id too."""
    settings = get_settings()
    logs.configure(settings, "api")
    return logs.RequestIdMiddleware(create_app(settings))
