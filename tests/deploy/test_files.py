"""The deployment files, proven without a Docker engine: the Dockerfile, docker-compose.yml.example
and fly.toml are parsed and checked against the CLI and the settings the code knows. Where
`docker-compose` is installed it validates the compose file too."""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from src.cli import COMMANDS, build_parser
from src.config import SECTIONS, MetricsSettings, Settings, reset_settings
from src.deriver.worker import SHUTDOWN_GRACE_SECONDS
from tests.support import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml.example"
FLY = PROJECT_ROOT / "fly.toml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
HONCHO_SERVICES = ("migrate", "api", "deriver")
KNOWN_SETTINGS = {
    f"{cls.model_config.get('env_prefix', '')}{key}"
    for cls in SECTIONS.values()
    for key in cls.model_fields
}
DERIVER_PORT_DEFAULT = MetricsSettings.model_fields["DERIVER_PORT"].default


def accepted(argv: list[str]) -> str:
    """The `honcho` subcommand `argv` runs; fails the test when the CLI would reject it."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:
        pytest.fail(f"`honcho {shlex.join(argv)}` is not a valid honcho command line")
    assert args.command in COMMANDS
    command: str = args.command
    return command


def option(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The settings a process with exactly `env` (plus defaults) builds; fails when invalid."""
    monkeypatch.setenv("HONCHO_CONFIG_FILE", "/nonexistent/config.toml")
    monkeypatch.setenv("HONCHO_ENV_FILE", "/nonexistent/.env")
    for key in KNOWN_SETTINGS:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    reset_settings()
    try:
        return Settings()
    finally:
        reset_settings()


# -- Dockerfile ---------------------------------------------------------------------------------


def _instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def _final_stage() -> list[tuple[str, str]]:
    instructions = _instructions()
    last_from = max(i for i, (word, _) in enumerate(instructions) if word == "FROM")
    return instructions[last_from:]


def test_dockerfile_is_multi_stage_uv_non_root_and_runs_honcho() -> None:
    instructions = _instructions()
    stages = [rest for word, rest in instructions if word == "FROM"]
    assert len(stages) >= 2 and all("python:${PYTHON_VERSION}-slim" in s for s in stages)
    assert "ARG PYTHON_VERSION=3.11" in DOCKERFILE.read_text()
    runs = " ".join(rest for word, rest in instructions if word == "RUN")
    uv_version = re.search(r'UV_VERSION="([\d.]+)"', (PROJECT_ROOT / "run").read_text())
    assert uv_version and f"ARG UV_VERSION={uv_version[1]}" in DOCKERFILE.read_text()
    assert 'pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"' in runs
    assert "uv sync --locked --no-dev" in runs
    final = _final_stage()
    users = [rest for word, rest in final if word == "USER"]
    assert users and users[-1] not in ("root", "0"), "the image must not run as root"
    assert not any("uv" in rest.split() for word, rest in final if word == "RUN")
    entrypoint = json.loads(next(rest for word, rest in final if word == "ENTRYPOINT"))
    assert entrypoint == ["honcho"]
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["honcho"] == "src.cli:main"
    accepted(json.loads(next(rest for word, rest in final if word == "CMD")))
    exposed = {p for word, rest in final if word == "EXPOSE" for p in rest.split()}
    assert {"8000", str(DERIVER_PORT_DEFAULT)} <= exposed


def _ignored(path: str, patterns: list[str]) -> bool:
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").removeprefix("**/")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(Path(path).name, pattern):
            ignored = not negate
    return ignored


def test_everything_the_image_copies_is_in_the_build_context() -> None:
    """Each COPY source exists and .dockerignore keeps it; secrets and local state stay out."""
    patterns = [
        line.strip()
        for line in (PROJECT_ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for word, rest in _instructions():
        if word != "COPY" or rest.startswith("--from"):
            continue
        for source in rest.split()[:-1]:
            assert (PROJECT_ROOT / source).exists(), f"COPY {source}: no such file"
            assert not _ignored(source, patterns), f"COPY {source}: excluded by .dockerignore"
    for private in (".env", ".venv", ".git", "config.toml", "tests"):
        assert _ignored(private, patterns), f"{private} would enter the build context"
    assert not _ignored("Dockerfile", patterns) and not _ignored("README.md", patterns)


# -- docker-compose.yml.example -------------------------------------------------------------------


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return data


def _interpolate(value: str) -> str:
    """Compose's ${VAR:-default} / ${VAR:?message}, with defaults and placeholder values."""
    value = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", value)
    return re.sub(r"\$\{(\w+):\?[^}]*\}", lambda m: f"placeholder-{m[1].lower()}", value)


def _probe_url(service: dict[str, Any]) -> str:
    test = " ".join(service["healthcheck"]["test"])
    match = re.search(r"http://127\.0\.0\.1:\d+/\w+", test)
    assert match, f"healthcheck without a probe URL: {test}"
    return match[0]


def test_compose_services_commands_and_health_checks() -> None:
    compose = _compose()
    services = compose["services"]
    assert set(services) == {"db", *HONCHO_SERVICES}
    db = services["db"]
    assert db["image"].startswith("pgvector/pgvector:")
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    volume, mount = db["volumes"][0].split(":")[:2]
    assert volume in compose["volumes"] and mount == "/var/lib/postgresql/data"
    images = {services[name]["image"] for name in HONCHO_SERVICES}
    assert len(images) == 1, "one image for every role"
    for name in HONCHO_SERVICES:
        service = services[name]
        assert accepted(service["command"]) == name
        assert service["build"]["context"] == "." and (PROJECT_ROOT / "Dockerfile").exists()
        assert service["env_file"] == ".env"
        assert service["depends_on"]["db"]["condition"] == "service_healthy"
    assert services["migrate"]["restart"] == "no"
    for name in ("api", "deriver"):
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
        assert services[name]["restart"] == "unless-stopped"
    api = services["api"]
    port = option(api["command"], "--port")
    assert option(api["command"], "--host") == "0.0.0.0"
    assert api["ports"] and all(p.startswith("127.0.0.1:") for p in api["ports"])
    assert all(_interpolate(p).endswith(f":{port}") for p in api["ports"])
    assert _probe_url(api) == f"http://127.0.0.1:{port}/ready"
    deriver = services["deriver"]
    env = deriver["environment"]
    assert env["METRICS_ENABLED"] == "true"
    assert _probe_url(deriver) == f"http://127.0.0.1:{env['METRICS_DERIVER_PORT']}/ready"
    grace = int(str(deriver["stop_grace_period"]).removesuffix("s"))
    assert grace > SHUTDOWN_GRACE_SECONDS


def test_compose_environment_is_made_of_known_valid_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every variable the compose file gives a Honcho container is a setting the code knows,
    with a value it accepts; the database URL points at the `db` service."""
    services = _compose()["services"]
    for name in HONCHO_SERVICES:
        env = {k: _interpolate(str(v)) for k, v in services[name]["environment"].items()}
        unknown = set(env) - KNOWN_SETTINGS
        assert not unknown, f"{name}: not settings the code knows: {unknown}"
        settings = settings_from(env, monkeypatch)
        assert settings.db.CONNECTION_URI is not None
        assert "@db:5432/" in settings.db.CONNECTION_URI
    template = (PROJECT_ROOT / ".env.template").read_text()
    assert "POSTGRES_PASSWORD" in template, ".env.template must tell compose users to set it"


@pytest.mark.skipif(
    shutil.which("docker-compose") is None,
    reason="docker-compose is not installed (Debian: apt-get install docker-compose); "
    "the YAML checks above still ran",
)
def test_docker_compose_validates_the_file(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(COMPOSE, project / "docker-compose.yml")
    shutil.copy(DOCKERFILE, project / "Dockerfile")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POSTGRES_")}
    template = (PROJECT_ROOT / ".env.template").read_text()
    (project / ".env").write_text(template)

    def config() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["docker-compose", "config"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    refused = config()
    assert refused.returncode != 0 and "set POSTGRES_PASSWORD in .env" in refused.stderr
    (project / ".env").write_text(template + "POSTGRES_PASSWORD=compose-test\n")
    done = config()
    assert done.returncode == 0, done.stderr
    resolved = yaml.safe_load(done.stdout)
    url = resolved["services"]["api"]["environment"]["DB_CONNECTION_URI"]
    assert url == "postgresql+psycopg://honcho:compose-test@db:5432/honcho"


# -- fly.toml -----------------------------------------------------------------------------------


def _fly() -> dict[str, Any]:
    return tomllib.loads(FLY.read_text())


def test_fly_process_groups_release_command_and_checks() -> None:
    fly = _fly()
    processes = {name: shlex.split(cmd) for name, cmd in fly["processes"].items()}
    assert set(processes) == {"api", "deriver"}
    for name, argv in processes.items():
        assert accepted(argv) == name  # Fly keeps the ENTRYPOINT (`honcho`), replaces CMD
    assert accepted(shlex.split(fly["deploy"]["release_command"])) == "migrate"
    assert (PROJECT_ROOT / fly["build"]["dockerfile"]).exists()
    api_port = int(option(processes["api"], "--port") or 0)
    assert option(processes["api"], "--host") == "0.0.0.0"
    service = fly["http_service"]
    assert service["processes"] == ["api"] and service["internal_port"] == api_port
    assert [c["path"] for c in service["checks"]] == ["/ready"]
    env = fly["env"]
    deriver_port = int(env["METRICS_DERIVER_PORT"])
    assert env["METRICS_ENABLED"] == "true" and env["METRICS_DERIVER_HOST"] == "0.0.0.0"
    (deriver_check,) = [c for c in fly["checks"].values() if c["processes"] == ["deriver"]]
    assert deriver_check["type"] == "http" and deriver_check["path"] == "/ready"
    assert deriver_check["port"] == deriver_port
    scraped = {tuple(m["processes"]): (m["port"], m["path"]) for m in fly["metrics"]}
    assert scraped == {("api",): (api_port, "/metrics"), ("deriver",): (deriver_port, "/metrics")}
    assert fly["kill_signal"] == "SIGTERM" and fly["kill_timeout"] > SHUTDOWN_GRACE_SECONDS


def test_fly_env_is_made_of_known_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    env = _fly()["env"]
    assert all(isinstance(v, str) for v in env.values()), "Fly env values must be strings"
    unknown = set(env) - KNOWN_SETTINGS
    assert not unknown, f"fly.toml [env]: not settings the code knows: {unknown}"
    # Secrets (`fly secrets set`) complete it: with auth on, the JWT secret is required.
    secrets = {"DB_CONNECTION_URI": "postgres://u:p@db.internal:5432/honcho"}
    secrets["AUTH_JWT_SECRET"] = "x" * 43
    settings = settings_from({**env, **secrets}, monkeypatch)
    assert settings.db.CONNECTION_URI == "postgresql+psycopg://u:p@db.internal:5432/honcho"
    assert settings.metrics.ENABLED and settings.app.LOG_FORMAT == "json"


def test_readme_walks_through_both_deployments() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text()
    deployment = readme.split("## Deployment", 1)[1].split("\n## ", 1)[0]
    for needed in (
        "docker-compose.yml.example",
        "cp .env.template .env",
        "docker compose up",
        "fly deploy",
        "fly secrets set",
        "scripts/provision_db.py",
        "scripts/create_key.py",
        "/ready",
        "/metrics",
    ):
        assert needed in deployment, f"the Deployment section does not mention {needed}"
