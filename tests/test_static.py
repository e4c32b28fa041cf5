"""The code stays lint-clean and type-clean: `./run test` fails on any ruff or mypy finding."""

from __future__ import annotations

import subprocess
import sys

from tests.support import PROJECT_ROOT


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff() -> None:
    """ruff (lint rules in pyproject.toml) finds nothing in the project."""
    done = _run("ruff", "check", "src", "tests", "bench", "scripts", "migrations")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict() -> None:
    """mypy --strict (pyproject.toml) finds nothing in src/."""
    done = _run("mypy")
    assert done.returncode == 0, done.stdout + done.stderr
