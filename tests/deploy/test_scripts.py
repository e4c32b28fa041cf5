"""The operator's scripts: a JWT secret, a scoped key, provisioning a database from its URL."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import make_url

from src.auth.tokens import Principal, decode
from src.config import AuthSettings
from src.db.migrate import current_revision, head_revision
from tests.deploy.support import drop_database
from tests.support import PROJECT_ROOT, unique

ISOLATED = {
    "HONCHO_CONFIG_FILE": "/nonexistent/config.toml",
    "HONCHO_ENV_FILE": "/nonexistent/.env",
}


def _script(name: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AUTH_", "DB_"))}
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / name), *args],
        cwd=PROJECT_ROOT,
        env={**clean, **ISOLATED, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_generate_jwt_secret() -> None:
    done = _script("generate_jwt_secret.py")
    secret = done.stdout.strip()
    assert done.returncode == 0 and len(secret) >= 43
    assert secret == AuthSettings(USE_AUTH=True, JWT_SECRET=secret).JWT_SECRET
    assert _script("generate_jwt_secret.py").stdout.strip() != secret


def test_create_key_scoped_and_from_a_secret_file(tmp_path: Path) -> None:
    secret = "operator-secret-0123456789-0123456789"
    done = _script(
        "create_key.py", "--workspace", "acme", "--peer", "alice", AUTH_JWT_SECRET=secret
    )
    assert done.returncode == 0, done.stderr
    assert decode(secret, done.stdout.strip()) == Principal(workspace="acme", peer="alice")
    secret_file = tmp_path / "jwt-secret"
    secret_file.write_text(secret + "\n")
    done = _script("create_key.py", "--secret-file", str(secret_file), "--admin")
    assert done.returncode == 0, done.stderr
    assert decode(secret, done.stdout.strip()) == Principal(admin=True)
    missing = _script("create_key.py", "--workspace", "acme")
    assert missing.returncode == 2 and "AUTH_JWT_SECRET is not set" in missing.stderr


def test_provision_creates_and_migrates_a_database_given_its_url(database_url: str) -> None:
    """A URL naming a database that does not exist yet: created and migrated; run again, it is
    left as it is. Hosting-style `postgres://` URLs are accepted."""
    name = unique("provisioned").replace("-", "_")
    url = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    plain = url.replace("postgresql+psycopg://", "postgres://")
    try:
        first = _script("provision_db.py", plain)
        assert first.returncode == 0, first.stderr
        assert f"created database {name}" in first.stdout
        assert f"migrated from nothing to {head_revision()}" in first.stdout
        assert current_revision(url) == head_revision()
        again = _script("provision_db.py", "--schema", "public", **{"DB_CONNECTION_URI": url})
        assert again.returncode == 0, again.stderr
        assert "created" not in again.stdout and "already at the latest revision" in again.stdout
    finally:
        drop_database(database_url, name)
