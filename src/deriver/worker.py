"""The deriver worker process: procrastinate runs the jobs, this module decides what a job does.

A job processes ONE batch of its work unit and, when more is pending, defers a fresh job for the
rest. So a SIGTERM waits for at most one batch (procrastinate's graceful shutdown), sessions share
the workers fairly, and whatever is left stays queued for any worker. Work is never lost with a
job: it lives in `deriver_queue`, and every worker's maintenance loop re-creates jobs for pending
work that has none (after a crash) and re-queues jobs of workers that stopped heart-beating
(SIGKILL, lost host) once `DERIVER_LEASE_TIMEOUT_SECONDS` have passed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time

from procrastinate import App, PsycopgConnector
from sqlalchemy import RowMapping, make_url

from src import logs, metrics, metrics_server
from src.app import check_schema, database_url
from src.config import Settings
from src.db.engine import Database, build_engine
from src.deriver import embed, jobs, queue, representation, summary
from src.deriver.runtime import Runtime
from src.embeddings.schema import check_dimensions
from src.errors import ConfigurationMissing
from src.webhooks import delivery, events

logger = logging.getLogger(__name__)

PENDING_LOOKAHEAD = 200
EMBED_BATCH_MAX_TOKENS = 50_000
SHUTDOWN_GRACE_SECONDS = 30.0


async def process_unit(rt: Runtime, key: str) -> None:
    kind, workspace, session = jobs.parse_unit_key(key)
    if kind == "webhook":  # `session` is the endpoint id
        await delivery.process_unit(rt, key)
        return
    async with rt.db.transaction() as conn:
        rows = await queue.pending(conn, key, PENDING_LOOKAHEAD)
    budget = (
        EMBED_BATCH_MAX_TOKENS
        if kind == "embed"
        else rt.settings.deriver.REPRESENTATION_BATCH_MAX_TOKENS
    )
    chosen = queue.take_batch(rows, budget)
    if chosen is None:
        return
    if isinstance(chosen, queue.Backoff):
        async with rt.db.transaction() as conn:
            await jobs.defer(conn, key, at=chosen.until)
        return
    if kind == "summary":
        chosen = chosen[:1]
    started = time.monotonic()
    try:
        if kind == "representation":
            await representation.run_batch(rt, workspace, session, chosen)
        elif kind == "embed":
            await embed.run_batch(rt, workspace, session, chosen)
        else:
            await summary.run_item(rt, workspace, session, chosen[0])
    except asyncio.CancelledError:
        raise  # shutdown: the items stay pending and are picked up again
    except Exception as exc:
        metrics.task_done(kind, time.monotonic() - started, ok=False)
        await _record_failure(rt, key, chosen, exc)
        failed = True
    else:
        metrics.task_done(kind, time.monotonic() - started, ok=True)
        failed = False
    if failed or len(rows) > len(chosen):
        # More work for this unit: a fresh job (unless one already waits, e.g. the backoff
        # retry), so a SIGTERM never waits on more than one batch and sessions share workers.
        async with rt.db.transaction() as conn:
            await jobs.defer(conn, key)
    if len(rows) == len(chosen) and kind in ("representation", "summary"):
        # `queue.empty` webhooks, when nothing of this unit is pending any more.
        await events.unit_drained(rt.db, key, kind, workspace, session)


async def _record_failure(rt: Runtime, key: str, chosen: list[RowMapping], exc: Exception) -> None:
    settings = rt.settings.deriver
    error = f"{type(exc).__name__}: {exc}"
    async with rt.db.transaction() as conn:
        # Charged to the oldest item only: it is retried alone next (take_batch), so a message
        # that always fails isolates itself without costing its neighbours their attempts.
        results = await queue.record_failure(
            conn,
            [chosen[0]["id"]],
            error,
            max_attempts=settings.MAX_ATTEMPTS,
            backoff=settings.RETRY_BACKOFF_SECONDS,
            backoff_max=settings.RETRY_BACKOFF_MAX_SECONDS,
        )
        failed = [r for r in results if r["status"] == "failed"]
        if failed:
            logger.error(
                "%s: giving up on %d item(s) after %d attempts: %s",
                key,
                len(failed),
                failed[0]["attempts"],
                error,
            )
        elif results:
            logger.warning(
                "%s: %d item(s) failed (attempt %d of %d), retrying at %s: %s",
                key,
                len(results),
                results[0]["attempts"],
                settings.MAX_ATTEMPTS,
                results[0]["next_attempt_at"],
                error,
            )
            await jobs.defer(conn, key, at=results[0]["next_attempt_at"])


async def maintain(app: App, rt: Runtime) -> None:
    """Every worker runs this: recover stalled jobs, revive orphaned work, apply retention."""
    settings = rt.settings.deriver
    interval = max(1.0, settings.LEASE_TIMEOUT_SECONDS / 3)
    rounds = 0
    while True:
        try:
            stalled = await app.job_manager.get_stalled_jobs(
                queue=jobs.QUEUE, seconds_since_heartbeat=settings.LEASE_TIMEOUT_SECONDS
            )
            for job in stalled:
                logger.warning("re-queueing %s: its worker stopped heart-beating", job.call_string)
                await app.job_manager.retry_job(job)
            async with rt.db.transaction() as conn:
                revived = await jobs.reconcile(conn)
                if revived:
                    logger.info("re-created jobs for pending work: %s", ", ".join(revived))
                if rounds % 60 == 0:
                    await queue.apply_retention(
                        conn,
                        settings.COMPLETED_RETENTION_SECONDS,
                        settings.QUEUE_ERROR_RETENTION_SECONDS,
                    )
                    await jobs.prune(conn)
        except asyncio.CancelledError:
            raise
        except Exception:
            logger.exception("deriver maintenance failed; retrying in %.0fs", interval)
        rounds += 1
        await asyncio.sleep(interval)


def build_app(url: str, settings: Settings, rt: Runtime) -> App:
    conninfo = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connector = PsycopgConnector(
        conninfo=conninfo,
        min_size=1,
        max_size=settings.deriver.WORKERS + 4,
        kwargs={"options": f"-c search_path={settings.db.SCHEMA},public"},
    )
    app = App(connector=connector)

    @app.task(name=jobs.TASK, queue=jobs.QUEUE)
    async def derive(key: str) -> None:
        with logs.bind(work_unit=key):
            await process_unit(rt, key)

    return app


async def run(settings: Settings) -> None:
    url = database_url(settings)
    check_schema(url, settings.db.SCHEMA)
    check_dimensions(url, settings)
    db = Database(build_engine(url, settings.db))
    rt = Runtime.build(settings, db)
    if rt.deriver is None and rt.summary is None:
        logger.warning(
            "derivation is OFF: no LLM is configured. Messages are stored and searchable; set "
            "LLM_OPENAI_API_KEY, LLM_ANTHROPIC_API_KEY, LLM_GEMINI_API_KEY or "
            "LLM_OPENAI_COMPATIBLE_BASE_URL to derive representations and summaries"
        )
    exporter = await _start_exporter(settings, db)
    logger.info(
        "deriver started with %d worker slot(s): %s", settings.deriver.WORKERS, rt.describe()
    )
    app = build_app(url, settings, rt)
    lease = settings.deriver.LEASE_TIMEOUT_SECONDS
    try:
        async with app.open_async():
            maintenance = asyncio.create_task(maintain(app, rt), name="deriver-maintenance")
            try:
                await app.run_worker_async(
                    queues=[jobs.QUEUE],
                    concurrency=settings.deriver.WORKERS,
                    name=f"deriver-{os.getpid()}",
                    delete_jobs="successful",
                    shutdown_graceful_timeout=SHUTDOWN_GRACE_SECONDS,
                    listen_notify=True,
                    fetch_job_polling_interval=settings.deriver.POLLING_SLEEP_INTERVAL_SECONDS,
                    update_heartbeat_interval=max(1.0, lease / 4),
                    stalled_worker_timeout=lease,
                    install_signal_handlers=True,
                )
            finally:
                maintenance.cancel()
    finally:
        if exporter is not None:
            exporter.close()
        await rt.aclose()
        await db.dispose()
        logger.info("deriver stopped")


async def _start_exporter(settings: Settings, db: Database) -> asyncio.Server | None:
    """The deriver's /metrics, /health and /ready, when METRICS_ENABLED."""
    recorder = metrics.configure(settings)
    if recorder is None:
        return None
    try:
        return await metrics_server.start(settings, db, recorder)
    except OSError as exc:
        raise ConfigurationMissing(
            f"cannot serve deriver metrics on {settings.metrics.DERIVER_HOST}:"
            f"{settings.metrics.DERIVER_PORT} ({exc}); set METRICS_DERIVER_PORT to a free port"
        ) from exc
