"""The async engine and the one-transaction-per-request unit of work."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from src.config import DBSettings


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def build_engine(url: str, db: DBSettings) -> AsyncEngine:
    options = (
        f"-c search_path={db.SCHEMA},public "
        f"-c lock_timeout={db.LOCK_TIMEOUT_MS} "
        f"-c statement_timeout={db.STATEMENT_TIMEOUT_MS} "
        "-c idle_in_transaction_session_timeout=60000 "
        # Prepared statements get a plan per execution: a generic plan chosen for the average
        # session is badly wrong for the skewed ones (one huge session among small ones).
        "-c plan_cache_mode=force_custom_plan"
    )
    return create_async_engine(
        url,
        pool_size=db.POOL_SIZE,
        max_overflow=db.MAX_OVERFLOW,
        pool_timeout=db.POOL_TIMEOUT,
        pool_recycle=db.POOL_RECYCLE,
        pool_pre_ping=db.POOL_PRE_PING,
        pool_use_lifo=True,
        echo=db.SQL_DEBUG,
        # Statement parameters hold message text: never in error logs (SQL_DEBUG shows them).
        hide_parameters=not db.SQL_DEBUG,
        json_serializer=_dumps,
        connect_args={"options": options, "application_name": "honcho"},
    )


class Database:
    """Owns the engine. Services open exactly one transaction per request with `transaction()`;
    it commits when the block exits, before the router returns the response."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncConnection]:
        async with self.engine.begin() as conn:
            yield conn

    async def dispose(self) -> None:
        await self.engine.dispose()
