"""deploy/compose.yaml and deploy/Dockerfile, checked without a Docker engine (none runs on this machine).

What Docker would only find at `up` time is checked here: the compose file by Debian's `docker-compose config`
(the client alone, no engine), the Prefect setting names against the installed Prefect, the variables the
services read against the committed example, the worker's user and umask, the image's install step
against the Makefile's, the database init script with a stand-in psql.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import stat
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
SERVICES = COMPOSE["services"]
DOCKERFILE = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
PREFECT_YAML = yaml.safe_load((DEPLOY / "prefect.yaml").read_text(encoding="utf-8"))


def env_example() -> dict[str, str]:
    pairs = {}
    for line in (DEPLOY / "compose.env.example").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def environment(service: str) -> dict[str, str]:
    return {name: str(value) for name, value in (SERVICES[service].get("environment") or {}).items()}


def provided(service: str) -> set[str]:
    """Variables a service gets: its env_file (the example stands for it) and its environment."""
    return set(environment(service)) | (set(env_example()) if SERVICES[service].get("env_file") else set())


def docker_compose_config(tmp_path: Path, compose: dict) -> subprocess.CompletedProcess:
    """`docker-compose config` (Debian's, installed by `make test`) on COMPOSE beside the env example, in TMP_PATH."""
    (tmp_path / "compose.yaml").write_text(yaml.safe_dump(compose, allow_unicode=True), encoding="utf-8")
    (tmp_path / "compose.env").write_text((DEPLOY / "compose.env.example").read_text(encoding="utf-8"),
                                          encoding="utf-8")
    return subprocess.run(["docker-compose", "-p", "pix-livret", "-f", str(tmp_path / "compose.yaml"), "config", "-q"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)


def test_compose_file_is_valid_for_docker_compose(tmp_path):
    done = docker_compose_config(tmp_path, COMPOSE)

    assert done.returncode == 0, done.stderr


def test_docker_compose_config_catches_a_mistake(tmp_path):
    # the validation is strict enough to matter: an unknown key of a service is refused
    broken = json.loads(json.dumps(COMPOSE))
    broken["services"]["worker"]["stop_grace"] = "2m"

    done = docker_compose_config(tmp_path, broken)

    assert done.returncode != 0 and "stop_grace" in done.stderr


def test_compose_reads_no_variable_from_the_shell():
    # Interpolation (${VAR}) would read the shell or a .env file, not compose.env, and turn a missing
    # variable into an empty string: every value is written out or comes from the env file.
    assert "${" not in (DEPLOY / "compose.yaml").read_text(encoding="utf-8")


def test_every_service_of_ours_reads_the_uncommitted_env_file():
    for name, service in SERVICES.items():
        assert service.get("env_file") == "compose.env", name
    assert "/deploy/*.env" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "deploy/*.env" in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert not (DEPLOY / "compose.env").exists() or not _tracked("deploy/compose.env")


def _tracked(path: str) -> bool:
    if not (ROOT / ".git").exists():
        return False
    return subprocess.run(["git", "-C", str(ROOT), "ls-files", "--error-unmatch", path],
                          capture_output=True).returncode == 0


def test_the_worker_gets_every_variable_the_flows_read():
    from pipeline.settings import Settings

    # every setting but the process count, which is the container's cores unless said otherwise
    read = {f"PIX_LIVRET_{name.upper()}" for name in Settings.model_fields} - {"PIX_LIVRET_WORKERS"}
    assert {"PIX_LIVRET_DB_URL", "PIX_LIVRET_OUT_DIR", "PIX_LIVRET_ARCHIVE_DIR", "PIX_LIVRET_EDITOR"} <= read
    assert read <= provided("worker")
    assert {"PREFECT_API_URL", "PREFECT_API_AUTH_STRING"} <= provided("worker")
    assert {"PREFECT_API_URL", "PREFECT_API_AUTH_STRING"} <= provided("deployments")


def test_the_server_and_the_database_get_what_they_read():
    assert {"PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_SERVER_API_AUTH_STRING", "PREFECT_UI_API_URL"} <= provided(
        "prefect-server")
    # the postgres image refuses to start without it; the init script reads the two URLs
    script = (DEPLOY / "postgres-init.sh").read_text(encoding="utf-8")
    read = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", script)) - {"POSTGRES_USER"}  # that one has a default
    assert read <= provided("postgres") and "POSTGRES_PASSWORD" in provided("postgres")


def test_prefect_settings_are_real_and_take_effect(monkeypatch):
    # Every PREFECT_ name the files set must mean something to the installed Prefect (3.8.8): a
    # misspelt one is silently ignored. Each is set, and the setting it should change is read back.
    from prefect.settings import Settings

    server = environment("prefect-server")
    assert server["PREFECT_SERVER_CSRF_PROTECTION_ENABLED"] == "true"
    assert server["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false" and server["DO_NOT_TRACK"] == "1"
    for client in ("worker", "deployments"):
        assert environment(client)["PREFECT_SERVER_ANALYTICS_ENABLED"] == "false"
    values = {**env_example(), **server, **environment("worker")}
    for name, value in values.items():
        if name.startswith("PREFECT_"):
            monkeypatch.setenv(name, value)
    settings = Settings()
    secret = lambda s: s.get_secret_value()  # noqa: E731
    assert settings.server.api.csrf_protection_enabled is True
    assert settings.server.analytics_enabled is False
    assert settings.server.api.host == "0.0.0.0"
    assert settings.server.api.port == 4200
    assert settings.server.ui.api_url == values["PREFECT_UI_API_URL"]
    assert settings.server.ui.static_directory == values["PREFECT_UI_STATIC_DIRECTORY"]
    assert secret(settings.server.database.connection_url) == values["PREFECT_API_DATABASE_CONNECTION_URL"]
    assert secret(settings.server.api.auth_string) == values["PREFECT_SERVER_API_AUTH_STRING"]
    assert secret(settings.api.auth_string) == values["PREFECT_API_AUTH_STRING"]
    assert settings.api.url == "http://prefect-server:4200/api"
    known = {"PREFECT_SERVER_CSRF_PROTECTION_ENABLED", "PREFECT_SERVER_ANALYTICS_ENABLED", "PREFECT_SERVER_API_HOST",
             "PREFECT_SERVER_API_PORT", "PREFECT_UI_API_URL", "PREFECT_UI_STATIC_DIRECTORY",
             "PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_SERVER_API_AUTH_STRING", "PREFECT_API_AUTH_STRING",
             "PREFECT_API_URL"}
    assert {name for name in values if name.startswith("PREFECT_")} <= known, "a setting above is not read back"


def test_the_example_commits_no_secret():
    example = env_example()
    secrets = [n for n in example if re.search(r"PASSWORD|AUTH_STRING", n)]
    secrets += [n for n in example if n.endswith("_URL") and urlsplit(example[n]).password]
    assert len(secrets) >= 5
    for name in secrets:
        value = urlsplit(example[name]).password if name.endswith("_URL") else example[name]
        assert "CHANGER" in value, f"{name}: a placeholder, not a password"
    # the client presents what the server demands
    assert example["PREFECT_API_AUTH_STRING"] == example["PREFECT_SERVER_API_AUTH_STRING"]
    # and no password is written in the compose file or the image
    for text in ((DEPLOY / "compose.yaml").read_text(encoding="utf-8"), DOCKERFILE):
        assert not re.search(r"(PASSWORD|AUTH_STRING|_URL)\s*[:=]\s*\S*://[^/\s]*:[^@\s]*@", text)
        assert not re.search(r"(PASSWORD|AUTH_STRING)\s*[:=]", text)


def test_the_urls_name_the_compose_database_and_the_drivers_that_are_installed():
    example = env_example()
    prefect_url, ours = urlsplit(example["PREFECT_API_DATABASE_CONNECTION_URL"]), urlsplit(example["PIX_LIVRET_DB_URL"])
    # Prefect's server demands an async driver; our code uses psycopg (both installed by the project)
    assert prefect_url.scheme == "postgresql+asyncpg" and ours.scheme == "postgresql+psycopg"
    assert prefect_url.hostname == ours.hostname == "postgres" and "postgres" in SERVICES
    assert prefect_url.path != ours.path, "two databases on the one server"


def test_the_worker_is_not_root_and_creates_private_files():
    assert str(SERVICES["worker"]["user"]).split(":")[0] not in {"0", "root"}
    users = re.findall(r"^USER\s+(\S+)", DOCKERFILE, re.MULTILINE)
    assert users and users[-1] not in {"0", "root"}
    entrypoint = json.loads(re.search(r"^ENTRYPOINT\s+(\[.*\])\s*$", DOCKERFILE, re.MULTILINE).group(1))
    # the image's entrypoint itself, run here: whatever command follows gets umask 027
    out = subprocess.run([*entrypoint, "sh", "-c", "umask"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "0027"
    uid = re.search(r"useradd[^\n]*--uid (\d+)", DOCKERFILE).group(1)
    assert str(SERVICES["worker"]["user"]) == f"{uid}:{uid}"


def test_the_image_installs_with_the_makefile_recipe():
    # One recipe, the one CI runs: the image calls `make install`, never pip or apt for the project's packages
    runs = " ".join(re.findall(r"^RUN\s+((?:.*\\\n)*.*)$", DOCKERFILE, re.MULTILINE))
    assert "make install EXTRAS=" in runs
    assert "pip install" not in runs
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    packages = re.search(r"^DEB_PACKAGES\s*:=\s*(.+)$", makefile, re.MULTILINE).group(1).split()
    assert "libpango-1.0-0" in packages and not any(p in runs for p in packages)

    def pip_lines(*args: str) -> list[str]:
        dry = subprocess.run(["make", "-n", "-B", "-C", str(ROOT), "install", *args],
                             capture_output=True, text=True, check=True).stdout
        return [line for line in dry.splitlines() if "pip install" in line and " -e " in line]

    assert [shlex.split(line)[-1] for line in pip_lines()] == [".[test]"]
    assert [shlex.split(line)[-1] for line in pip_lines("EXTRAS=")] == ["."]


def test_deployments_pool_volumes_and_healthchecks_fit_together():
    pools = {d["work_pool"]["name"] for d in PREFECT_YAML["deployments"]}
    worker = SERVICES["worker"]["command"]
    assert pools == {worker[worker.index("--pool") + 1]}
    assert "prefect --no-prompt deploy --all --prefect-file deploy/prefect.yaml" in " ".join(
        SERVICES["deployments"]["command"])
    assert f"work-pool create {pools.pop()} --type process" in " ".join(SERVICES["deployments"]["command"])
    # the code is where prefect.yaml's pull step looks for it: PIX_LIVRET_HOME, the image's WORKDIR
    assert PREFECT_YAML["pull"][0]["pix_livret.deployment_steps.enter_code_folder"]["directory"] \
        == "{{ $PIX_LIVRET_HOME }}"
    assert f"WORKDIR {environment('worker')['PIX_LIVRET_HOME']}" in DOCKERFILE
    # the folders the worker writes and reads are volumes
    mounts = {volume.split(":")[1] for volume in SERVICES["worker"]["volumes"]}
    nightly = next(d for d in PREFECT_YAML["deployments"] if d["name"] == "nightly")
    assert nightly["parameters"]["inbox"] in mounts
    assert {environment("worker")["PIX_LIVRET_OUT_DIR"], environment("worker")["PIX_LIVRET_ARCHIVE_DIR"]} <= mounts
    assert "pg_isready" in SERVICES["postgres"]["healthcheck"]["test"]
    assert "/api/health" in " ".join(SERVICES["prefect-server"]["healthcheck"]["test"])
    assert "--with-healthcheck" in worker and "/health" in " ".join(SERVICES["worker"]["healthcheck"]["test"])
    assert SERVICES["worker"]["deploy"]["replicas"] >= 1 and "container_name" not in SERVICES["worker"]
    assert SERVICES["worker"]["stop_signal"] == "SIGTERM" and SERVICES["worker"]["stop_grace_period"]


def test_the_init_script_creates_both_databases_without_splicing_passwords(tmp_path):
    # a stand-in psql records what it is given: the real one would need the postgres image
    fake = tmp_path / "bin" / "psql"
    fake.parent.mkdir()
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$@" >> "$RECORD"\ncat >> "$RECORD"\n', encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    record = tmp_path / "record"
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "RECORD": str(record),
           "PREFECT_API_DATABASE_CONNECTION_URL": "postgresql+asyncpg://prefect:p4ss*word@postgres:5432/prefect",
           "PIX_LIVRET_DB_URL": "postgresql+psycopg://pix_livret:0ther@postgres:5432/pix_livret?sslmode=disable"}
    done = subprocess.run(["sh", str(DEPLOY / "postgres-init.sh")], env=env, capture_output=True, text=True,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    seen = record.read_text(encoding="utf-8")
    for variables in ("role=prefect", "password=p4ss*word", "database=prefect",
                      "role=pix_livret", "password=0ther", "database=pix_livret"):
        assert variables in seen.splitlines()
    assert "PASSWORD :'password'" in seen and "p4ss" not in seen.split("role=pix_livret")[1]
    assert "p4ss" not in done.stdout + done.stderr  # the passwords are never printed

    env["PIX_LIVRET_DB_URL"] = "sqlite:///nope.sqlite"
    refused = subprocess.run(["sh", str(DEPLOY / "postgres-init.sh")], env=env, capture_output=True, text=True,
                             cwd=tmp_path)
    assert refused.returncode == 1 and "PIX_LIVRET_DB_URL" in refused.stderr
