"""The `honcho` command: serve (API + deriver), api, deriver, migrate, reembed, key."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

from src.config import ConfigurationError, Settings, get_settings, reset_settings
from src.errors import ConfigurationMissing

logger = logging.getLogger("honcho")

_CHILD_STOP_TIMEOUT_S = 30.0


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The configured database URL, or the embedded server's (started here, stopped on exit)."""
    if settings.db.CONNECTION_URI:
        yield settings.db.CONNECTION_URI
        return
    from src.db.embedded import start_embedded
    from src.db.migrate import upgrade_to_head

    embedded = start_embedded(settings.db.EMBEDDED_DATA_DIR, settings.db.EMBEDDED_DATABASE)
    logger.info("embedded PostgreSQL ready (data in %s)", embedded.data_dir)
    try:
        upgrade_to_head(embedded.url, settings.db.SCHEMA)
        yield embedded.url
    finally:
        embedded.stop()
        logger.info("embedded PostgreSQL handle released")


def _use_url(url: str) -> Settings:
    """Point this process (and the children it starts) at `url`, then rebuild settings."""
    os.environ["DB_CONNECTION_URI"] = url
    reset_settings()
    return get_settings()


def cmd_migrate(settings: Settings, _: argparse.Namespace) -> int:
    from src.db.migrate import head_revision, upgrade_to_head

    with database(settings) as url:
        upgrade_to_head(url, settings.db.SCHEMA)
        logger.info("database schema at %s", head_revision())
    return 0


def cmd_api(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    host = args.host or settings.app.API_HOST
    port = args.port or settings.app.API_PORT
    workers = args.workers or settings.app.API_WORKERS
    with database(settings) as url, _metrics_across_workers(settings, workers):
        _use_url(url)
        uvicorn.run(
            "src.app:create_app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level=settings.app.LOG_LEVEL.lower(),
            access_log=False,
            timeout_graceful_shutdown=10,
        )
    return 0


@contextmanager
def _metrics_across_workers(settings: Settings, workers: int) -> Iterator[None]:
    """Several API workers write their metrics to a shared directory, so that a scrape of any
    one of them reports the sum (prometheus_client's multiprocess mode)."""
    if not settings.metrics.ENABLED or workers < 2:
        yield
        return
    import shutil
    import tempfile

    from src.metrics import MULTIPROC_ENV

    if os.environ.get(MULTIPROC_ENV):  # the operator's own directory
        yield
        return

    directory = tempfile.mkdtemp(prefix="honcho-metrics-")
    os.environ[MULTIPROC_ENV] = directory
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)


def cmd_deriver(settings: Settings, _: argparse.Namespace) -> int:
    import asyncio

    from src.deriver.worker import run

    with database(settings) as url:
        asyncio.run(run(_use_url(url)))
    return 0


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    """Start the API and the deriver as two child processes sharing one database."""
    with database(settings) as url:
        from src.db.migrate import upgrade_to_head

        upgrade_to_head(url, settings.db.SCHEMA)
        env = {**os.environ, "DB_CONNECTION_URI": url}
        api_args = ["api", "--host", args.host or settings.app.API_HOST]
        api_args += ["--port", str(args.port or settings.app.API_PORT)]
        if args.workers:
            api_args += ["--workers", str(args.workers)]
        children = [
            subprocess.Popen([sys.executable, "-m", "src.cli", *api_args], env=env),
            subprocess.Popen([sys.executable, "-m", "src.cli", "deriver"], env=env),
        ]
        return _supervise(children)


def _supervise(children: list[subprocess.Popen[bytes]]) -> int:
    stopping = False

    def _on_signal(signum: int, _: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    exit_code = 0
    while not stopping:
        for child in children:
            code = child.poll()
            if code is not None:
                logger.error("child process %s exited with %s; stopping", child.args, code)
                exit_code = code or 1
                stopping = True
        time.sleep(0.2)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + _CHILD_STOP_TIMEOUT_S
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            logger.warning("child %s did not stop in time; killing it", child.args)
            child.kill()
            child.wait()
    return exit_code


def cmd_reembed(settings: Settings, _: argparse.Namespace) -> int:
    """Rebuild every embedding at LLM_EMBEDDING_DIMENSIONS with the configured provider."""
    import asyncio

    from src.embeddings.schema import reembed

    with database(settings) as url:
        count = asyncio.run(reembed(url, settings))
    logger.info("re-embedded %d rows at %d dimensions", count, settings.llm.EMBEDDING_DIMENSIONS)
    return 0


def cmd_key(settings: Settings, args: argparse.Namespace) -> int:
    """Mint a key offline with AUTH_JWT_SECRET (the first admin key has no other source)."""
    from datetime import UTC, datetime, timedelta

    from src.auth.tokens import encode

    if not settings.auth.JWT_SECRET:
        logger.error("AUTH_JWT_SECRET is not set; generate one with scripts/generate_jwt_secret.py")
        return 2
    if not args.admin and args.workspace is None:
        logger.error("give --admin, or --workspace (with --peer or --session for narrower keys)")
        return 2
    expires = None
    if args.expires_in is not None:
        expires = datetime.now(UTC) + timedelta(seconds=args.expires_in)
    print(
        encode(
            settings.auth.JWT_SECRET,
            admin=args.admin,
            workspace=args.workspace,
            peer=args.peer,
            session=args.session,
            expires_at=expires,
        )
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="honcho", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (
        ("serve", "start the API and the deriver (embedded PostgreSQL unless DB_CONNECTION_URI)"),
        ("api", "start the API server only"),
    ):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("--host", default=None, help="bind address (default API_HOST, 127.0.0.1)")
        p.add_argument("--port", type=int, default=None, help="port (default API_PORT, 8000)")
        p.add_argument("--workers", type=int, default=None, help="API worker processes")
    sub.add_parser("deriver", help="start the deriver worker only")
    sub.add_parser("migrate", help="migrate the database schema to the latest revision")
    sub.add_parser(
        "reembed",
        help="resize embeddings to LLM_EMBEDDING_DIMENSIONS and recompute them all",
    )
    key = sub.add_parser("key", help="print a new API key signed with AUTH_JWT_SECRET")
    key.add_argument("--admin", action="store_true", help="full access")
    key.add_argument("--workspace", help="workspace the key is scoped to")
    scope = key.add_mutually_exclusive_group()
    scope.add_argument("--peer", help="narrow the key to one peer of the workspace")
    scope.add_argument("--session", help="narrow the key to one session of the workspace")
    key.add_argument("--expires-in", type=int, metavar="SECONDS", help="lifetime of the key")
    return parser


COMMANDS = {
    "serve": cmd_serve,
    "api": cmd_api,
    "deriver": cmd_deriver,
    "migrate": cmd_migrate,
    "key": cmd_key,
    "reembed": cmd_reembed,
}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = get_settings()
    except ConfigurationError as exc:
        print(f"honcho: {exc}", file=sys.stderr)
        return 2
    from src import logs

    logs.configure(settings, args.command)
    try:
        return COMMANDS[args.command](settings, args)
    except ConfigurationMissing as exc:
        logger.error("%s", exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
