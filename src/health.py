"""Liveness and readiness, without authentication (for load balancers, compose and Fly checks).

`GET /health`: the process is up and serving. `GET /ready`: the database answers and its schema is
at the revision this build needs; 503 with the reason otherwise (e.g. behind: run `honcho migrate`).
The deriver answers the same two paths on its own port (`src.metrics_server`).
"""

from __future__ import annotations

import asyncio
from functools import lru_cache

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError

from src.db.engine import Database

READY_TIMEOUT_SECONDS = 5.0

router = APIRouter(tags=["operations"], include_in_schema=False)


@lru_cache(maxsize=1)
def _head() -> str:
    from src.db.migrate import head_revision

    return head_revision()


async def readiness(db: Database) -> tuple[bool, str]:
    """(ready, why): the database answers within READY_TIMEOUT_SECONDS at the head revision."""
    head = _head()
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS), db.transaction() as conn:
            current = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
    except ProgrammingError:
        return False, f"the database has no schema; this server needs {head}: run `honcho migrate`"
    except Exception as exc:
        return False, f"database unreachable ({type(exc).__name__})"
    if current != head:
        return False, (
            f"database schema is at revision {current or 'none'} but this server needs {head}; "
            "run `honcho migrate`"
        )
    return True, f"database schema at {head}"


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/ready")
async def ready(request: Request) -> JSONResponse:
    ok, detail = await readiness(request.app.state.db)
    if ok:
        return JSONResponse({"status": "ready", "detail": detail})
    return JSONResponse({"status": "unavailable", "detail": detail}, status_code=503)
