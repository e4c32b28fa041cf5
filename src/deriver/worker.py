"""The deriver worker process.

Lifecycle only, for now: it connects to the database, verifies the schema, and waits for work
until SIGTERM/SIGINT, when it exits cleanly. Queue consumption arrives with the deriver tasks.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from src.app import check_schema, database_url
from src.config import Settings
from src.db.engine import build_engine

logger = logging.getLogger(__name__)


async def run(settings: Settings) -> None:
    url = database_url(settings)
    check_schema(url, settings.db.SCHEMA)
    engine = build_engine(url, settings.db)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    logger.info("deriver started with %d worker slot(s)", settings.deriver.WORKERS)
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(
                    stop.wait(), timeout=settings.deriver.POLLING_SLEEP_INTERVAL_SECONDS
                )
            except TimeoutError:
                continue
    finally:
        await engine.dispose()
        logger.info("deriver stopped")
