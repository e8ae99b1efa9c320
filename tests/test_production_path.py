"""The production path for real: `prefect server start` with API authentication, a process work pool,
`prefect deploy` on deploy/prefect.yaml exactly as docs/guide-exploitation.md says, a worker with the env file's variables; then
the nightly run, the June export and the attestations triggered as an administrator would (an académie's too, over
two workers), on one server.

Slow (~2–3 min: a server, two workers, a dozen flow runs in their own processes): one module-scoped server for
all.
"""
from __future__ import annotations

import base64
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import func, select

from pix_livret.demo.sample_data import make_sample_academie, make_sample_establishment
from pix_livret.temporary_server import free_port
from schemas.tables import Certification, PipelineRun, Student
from store.database import make_engine, upgrade_to_head
from tests.db_builders import add_certification, add_establishment, add_student

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
AUTH = "admin:un-secret-de-test"
RUN_TIMEOUT = 240

TRIGGER = """
import json, sys
from prefect.deployments import run_deployment
run = run_deployment(sys.argv[1], parameters=json.loads(sys.argv[2]), job_variables=json.loads(sys.argv[3]),
                     timeout=float(sys.argv[4]))
print(json.dumps({"id": str(run.id), "type": run.state.type.value, "name": run.state.name,
                  "message": run.state.message}))
"""


class Production:
    """A Prefect server, the pool, the deployments and one worker, as the operator guide's « Mise en production » starts them."""

    def __init__(self, root: Path, auth: str | None = AUTH) -> None:
        port = free_port()
        self.root, self.api, self.auth = root, f"http://127.0.0.1:{port}/api", auth
        self.database = f"sqlite:///{root / 'pix-livret.sqlite'}"
        self.client_env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PIX_LIVRET_"))} | {
            "PREFECT_HOME": str(root / "prefect"), "PREFECT_API_URL": self.api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "PREFECT_LOGGING_LEVEL": "INFO"}
        if auth:
            self.client_env["PREFECT_API_AUTH_STRING"] = auth
        self.server_env = self.client_env | {"PREFECT_UI_API_URL": self.api} \
            | ({"PREFECT_SERVER_API_AUTH_STRING": auth} if auth else {})
        # the worker's environment: deploy/pix-livret.env.example's variables, with this test's folders
        self.worker_env = self.client_env | {"PIX_LIVRET_DB_URL": self.database, "PIX_LIVRET_HOME": str(REPO),
                                             "PIX_LIVRET_OUT_DIR": str(root / "out"),
                                             "PIX_LIVRET_ARCHIVE_DIR": str(root / "archive"),
                                             # polls every 2 s instead of 10: the tests wait less for each run
                                             "PREFECT_WORKER_QUERY_SECONDS": "2"}
        self.processes: list[subprocess.Popen] = []
        self.ui = f"http://127.0.0.1:{port}"
        self.server = self.start(["prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                 self.server_env, "server")
        self.wait_healthy()
        self.prefect(["work-pool", "create", "pix-livret", "--type", "process"])
        # the queue of the académie's establishment runs, with the limit the operator guide sets (2 here: 3 establishments)
        self.prefect(["work-queue", "create", "etablissements", "--pool", "pix-livret", "--limit", "2"])
        self.prefect(["--no-prompt", "deploy", "--all", "--prefect-file", "deploy/prefect.yaml"])
        self.worker = self.start(["pix-livret", "worker", "--pool", "pix-livret"], self.worker_env, "worker")

    def start(self, command: list[str], env: dict, name: str) -> subprocess.Popen:
        log = (self.root / f"{name}.log").open("wb")
        process = subprocess.Popen([str(BIN / command[0]), *command[1:]], env=env, cwd=REPO, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
        self.processes.append(process)
        return process

    def prefect(self, arguments: list[str]) -> str:
        done = subprocess.run([str(BIN / "prefect"), *arguments], env=self.client_env, cwd=REPO, capture_output=True,
                              text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def request(self, path: str, body: dict | None = None, auth: bool = True) -> dict | list:
        headers = {"Content-Type": "application/json"}
        if auth and self.auth:
            headers["Authorization"] = "Basic " + base64.b64encode(self.auth.encode()).decode()
        data = json.dumps(body).encode() if body is not None else None
        with urllib.request.urlopen(urllib.request.Request(self.api + path, data=data, headers=headers),
                                    timeout=10) as response:
            return json.loads(response.read() or b"null")

    def log_lines(self, flow_run_id: str, last: str | None = None, seconds: float = 30) -> list[str]:
        """The run's log messages in the order they were written, once the line LAST has arrived (or SECONDS passed):
        a flow-run process sends its last lines as it exits, after its final state."""
        deadline = time.monotonic() + seconds
        while True:
            found = self.request("/logs/filter", {"logs": {"flow_run_id": {"any_": [flow_run_id]}},
                                                  "sort": "TIMESTAMP_ASC", "limit": 200})
            messages = [entry["message"] for entry in found]
            if last is None or last in messages or time.monotonic() > deadline:
                return messages
            time.sleep(0.5)

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                self.request("/health")
                return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                assert self.server.poll() is None, (self.root / "server.log").read_text(errors="replace")[-3000:]
                time.sleep(0.5)
        raise AssertionError("the Prefect server did not start")

    def run(self, deployment: str, parameters: dict, job_variables: dict | None = None) -> dict:
        done = subprocess.run([sys.executable, "-c", TRIGGER, deployment, json.dumps(parameters),
                               json.dumps(job_variables or {}), str(RUN_TIMEOUT)], env=self.client_env, cwd=REPO,
                              capture_output=True, text=True, timeout=RUN_TIMEOUT + 30)
        assert done.returncode == 0, done.stderr[-3000:]
        return json.loads(done.stdout.strip().splitlines()[-1])

    def logs(self, flow_run_id: str) -> str:
        return "\n".join(self.log_lines(flow_run_id))

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    server = Production(tmp_path_factory.mktemp("production"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def webhook():
    """A webhook on the loopback that keeps the text of what it is sent; it answers 403 to a path ending in /403."""
    received: list[str] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(json.loads(body)["text"])
            self.send_response(403 if self.path.endswith("/403") else 200)
            self.end_headers()

        def log_message(self, *_) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    server.url, server.received = f"http://127.0.0.1:{server.server_port}", received
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def second_worker(production):
    """A second worker started as on another machine (same code, same env file, same server; here the same SQLite
    file stands for the shared PostgreSQL and the same disk for the shared storage)."""
    production.start(["prefect", "worker", "start", "--pool", "pix-livret"], production.worker_env, "worker-2")


@pytest.fixture(scope="module")
def school(tmp_path_factory):
    return make_sample_establishment(tmp_path_factory.mktemp("school") / "inbox")


def test_the_api_refuses_a_request_without_the_auth_string(production):
    with pytest.raises(urllib.error.HTTPError) as refused:
        production.request("/flow_runs/filter", {}, auth=False)

    assert refused.value.code == 401


def test_a_nightly_run_with_quarantined_input_is_a_quarantined_state_and_logs_no_name(production, school):
    run = production.run("nightly-ingest/nightly", {"inbox": str(school.inbox), "roster": str(school.roster_path),
                                                     "school_name": "Collège Test"})

    # Prefect's own state name, which the UI's run lists show by default; the message says quarantine
    assert (run["type"], run["name"]) == ("FAILED", "Failed"), run
    assert run["message"].startswith("Quarantaine :") and "écartée" in run["message"]
    logs = production.logs(run["id"])
    # Prefect's engine logs the exception of any Failed final state (flow_engine.run_flow), here as the state's
    # message alone (below): counts only, never the report (it printed the whole RunReport,
    # absents' ids included, before)
    assert "TypeError" not in logs and "RunReport(" not in logs, logs[-6000:]
    names = {s.last_name for s in school.students} | {s.first_name for s in school.students}
    assert not [name for name in names if len(name) > 3 and name in logs]
    assert not [s.eleve_id for s in school.students if s.eleve_id and f"{s.eleve_id}" in logs]
    engine = make_engine(production.database)
    with engine.connect() as connection:
        history = connection.execute(select(PipelineRun.kind, PipelineRun.status, PipelineRun.flow_run_id)).all()
    engine.dispose()
    assert ("ingest", "quarantined", run["id"]) in history


def test_the_june_export_and_the_attestations_run_with_their_default_year(production, school):
    production.run("nightly-ingest/nightly", {"inbox": str(school.inbox), "roster": str(school.roster_path),
                                              "attestations": False})

    export = production.run("livret-export/export-lsu", {})
    attestations = production.run("make-attestations/attestations", {})

    assert export["type"] == "COMPLETED", export
    assert attestations["type"] == "COMPLETED", attestations
    out = production.root / "out"
    assert list(out.glob("LSU_*_2025-2026.xml")) and list((out / "attestations").rglob("*.pdf"))


def test_a_wrong_code_folder_fails_the_run_with_a_message_that_says_what_to_fix(production, school):
    run = production.run("livret-export/export-lsu", {}, {"env": {"PIX_LIVRET_HOME": "/nulle/part"}})

    assert run["type"] in ("CRASHED", "FAILED"), run
    assert "introuvable dans /nulle/part" in (run["message"] or "") + production.logs(run["id"]), run


def test_a_command_run_against_the_server_sends_its_logs_there(production, school):
    production.run("nightly-ingest/nightly", {"inbox": str(school.inbox), "roster": str(school.roster_path),
                                              "attestations": False})
    env = {k: v for k, v in production.worker_env.items() if k != "PREFECT_LOGGING_LEVEL"}

    done = subprocess.run([str(BIN / "pix-livret"), "export", "lsu", "--year", "2025-2026"], env=env,
                          capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr
    assert " | INFO " not in done.stdout + done.stderr  # the terminal stays quiet
    [latest] = production.request("/flow_runs/filter", {"sort": "START_TIME_DESC", "limit": 1,
                                                        "flows": {"name": {"any_": ["livret-export"]}}})
    assert latest["state_type"] == "COMPLETED" and production.logs(latest["id"]).strip()


def test_the_nightly_alert_reaches_a_webhook_on_the_local_network(production, school, webhook):
    """`pix-livret alerts` with a webhook on 127.0.0.1 (as a school's own Mattermost): allowed without a flag, a test
    message at once, then the alert of a red night, sent by the server itself."""
    done = subprocess.run([str(BIN / "pix-livret"), "alerts", "--webhook-url", f"{webhook.url}/hooks/ecole"],
                          env=production.client_env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 0, done.stderr[-3000:]
    assert [text.splitlines()[0] for text in webhook.received] == ["pix-livret : test de l'alerte"]
    [automation] = production.request("/automations/filter", {"automations": {"name": {"any_": [
        "pix-livret : nuit à vérifier"]}}})
    assert automation["enabled"]
    assert {"prefect.flow-run.Failed", "prefect.flow-run.Crashed"} <= set(automation["trigger"]["expect"])

    run = production.run("nightly-ingest/nightly", {"inbox": str(school.inbox), "roster": str(school.roster_path),
                                                     "attestations": False})

    assert run["type"] == "FAILED", run
    deadline = time.monotonic() + 30
    while len(webhook.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    [_, alert] = webhook.received
    assert alert.startswith("pix-livret : exécution de nuit à vérifier\nExécution de nuit ")
    assert run["message"] in alert and ": Failed." in alert


def test_a_webhook_that_refuses_the_test_message_is_said_at_once(production, webhook):
    done = subprocess.run([str(BIN / "pix-livret"), "alerts", "--webhook-url", f"{webhook.url}/jeton-secret/403"],
                          env=production.client_env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 1
    said = " ".join((done.stdout + done.stderr).split())
    assert "le webhook de 127.0.0.1 a refusé le message de test (HTTP 403)" in said, said
    assert "jeton-secret" not in said and "Traceback" not in said


@pytest.mark.usefixtures("second_worker")
def test_an_academie_fans_out_one_run_per_establishment_over_two_workers(production, tmp_path):
    """The académie's night spread over the pool (docs/guide-exploitation.md « Une académie sur plusieurs machines »): two workers, the
    nightly run with fan_out, one establishment with a file that cannot be read."""
    academie = make_sample_academie(tmp_path / "academie", establishments=3, classes=1, students_per_class=6)
    bad = academie.uais[1]
    (academie.root / bad / "20260320_resultats_3Z.csv").write_text("pas un export Pix\n", encoding="utf-8")

    parent = production.run("nightly-ingest/nightly", {"inbox": str(academie.root), "fan_out": True})

    # the parent fails as a single run would, saying which establishment, with counts
    assert (parent["type"], parent["name"]) == ("FAILED", "Failed"), parent
    assert parent["message"].startswith(f"Quarantaine : 1 établissement(s) sur 3 avec des fichiers écartés "
                                        f"ou des problèmes ouverts ({bad})"), parent
    # one flow run per establishment, a subflow of the parent's; only the bad one failed
    children = production.request("/flow_runs/filter", {"flows": {"name": {"any_": ["establishment-ingest"]}}})
    states = {c["parameters"]["uai"]: c["state_type"] for c in children}
    assert states == {uai: "FAILED" if uai == bad else "COMPLETED" for uai in academie.uais}, children
    assert all(c["parent_task_run_id"] and c["work_queue_name"] == "etablissements" for c in children)
    assert {frozenset(c["parameters"]) for c in children} == {
        frozenset({"folder", "uai", "school_name", "roster", "attestations"})}
    # one artifact for the académie: the establishment table, no student
    [artifact] = production.request("/artifacts/filter", {"artifacts": {
        "key": {"any_": ["nightly-academie-report"]}, "flow_run_id": {"any_": [parent["id"]]}}})
    table = [line for line in artifact["data"].splitlines() if line.startswith("| 0") and line.count(" | ") == 9]
    said_state = {line.split(" | ")[0].lstrip("| "): line.rstrip(" |").rsplit("| ", 1)[1] for line in table}
    assert said_state == {uai: "quarantaine" if uai == bad else "réussie" for uai in academie.uais}, artifact["data"]
    assert all(f"| {uai} | {academie.school_names[uai]} |" in artifact["data"] for uai in academie.uais)
    engine = make_engine(production.database)
    with engine.connect() as connection:
        students = connection.execute(select(Student.last_name, Student.first_name, Student.eleve_id)
                                      .where(Student.uai.in_(academie.uais))).all()
        loaded = dict(connection.execute(select(Certification.uai, func.count()).where(
            Certification.uai.in_(academie.uais)).group_by(Certification.uai)).all())
        runs = connection.execute(select(PipelineRun.id, PipelineRun.kind, PipelineRun.status, PipelineRun.flow_run_id,
                                         PipelineRun.counts, PipelineRun.uai, PipelineRun.parent_run_id)
                                  .where(PipelineRun.flow_run_id.in_([parent["id"], *(c["id"] for c in children)]))).all()
    engine.dispose()
    said = artifact["data"] + parent["message"] + production.logs(parent["id"])
    assert len(students) == 18
    assert not [s for s in students if s.last_name in said or s.first_name in said or str(s.eleve_id) in said]
    # every establishment loaded its good rows; each child recorded its run, the parent its own with the sums
    assert loaded == {uai: 6 for uai in academie.uais}
    kinds = sorted((r.kind, r.status) for r in runs)
    assert kinds == [("ingest", "completed"), ("ingest", "completed"), ("ingest", "quarantined"),
                     ("ingest-academie", "quarantined")]
    [umbrella] = [r for r in runs if r.kind == "ingest-academie"]
    assert umbrella.flow_run_id == parent["id"] and umbrella.counts["rows_loaded"] == 18
    assert umbrella.counts["attestations_written"] > 0  # each child made its establishment's attestations
    # the history's night is one line, its establishments' runs beneath it (`pix-livret runs --detail`)
    assert sorted((r.uai, r.parent_run_id) for r in runs if r.kind == "ingest") == [
        (uai, umbrella.id) for uai in sorted(academie.uais)]
    # the bound on establishments at once over all the workers: declared, and kept (3 runs, 2 at a time)
    queue = production.request("/work_pools/pix-livret/queues/etablissements")
    assert queue["concurrency_limit"] == 2
    spans = [(datetime.fromisoformat(c["start_time"]), datetime.fromisoformat(c["end_time"])) for c in children]
    assert max(sum(start <= moment < end for start, end in spans) for moment, _ in spans) <= 2, spans


@pytest.mark.usefixtures("second_worker")
def test_an_academie_s_june_runs_one_export_and_one_attestations_run_per_establishment_over_two_workers(production):
    """The June of an académie (docs/guide-exploitation.md « Le mois de juin d'une académie »): the export and the attestations
    deployments with no UAI and fan_out, each establishment a flow run of its own on the queue « etablissements »;
    one establishment has its roster of the year but no result yet. Their data is of a year of its own (2023-2024),
    which the other tests' establishments have nothing in: only these two are done."""
    done, empty = "0175000A", "0175001B"
    engine = make_engine(production.database)
    upgrade_to_head(engine)
    for uai in (done, empty):
        add_establishment(engine, uai, school_year=2023)
    eleve = add_student(engine, 7001, uai=done, last_name="Marchand", first_name="Zoé", school_years=(2023,))
    add_certification(engine, 7001, uai=done, student_id=eleve, passed_on=date(2024, 3, 20))
    add_student(engine, 7002, uai=empty, last_name="Vidal", first_name="Yann", school_years=(2023,))
    engine.dispose()

    # both at once, as an administrator may start them: the four establishment runs share the two workers
    with ThreadPoolExecutor(2) as triggers:
        started = [triggers.submit(production.run, deployment, {"school_year": "2023-2024", "fan_out": True})
                   for deployment in ("livret-export/export-lsu", "make-attestations/attestations")]
    export, attestations = (run.result() for run in started)

    assert (export["type"], export["message"]) == ("FAILED", f"Export LSU 2023-2024 : 1 établissement(s) sur 2 "
                                                             f"fait(s) ; en échec : {empty} (motifs dans le tableau)")
    assert (attestations["type"], attestations["message"]) == (
        "COMPLETED", "Attestations 2023-2024 : 2 établissement(s) sur 2 fait(s)"), attestations
    names = [f"{flow}-{uai}" for flow in ("livret-export", "make-attestations") for uai in (done, empty)]
    children = production.request("/flow_runs/filter", {"flow_runs": {"name": {"any_": names}}})
    states = {c["name"]: c["state_type"] for c in children}
    assert states == {name: "FAILED" if name == f"livret-export-{empty}" else "COMPLETED" for name in names}
    assert all(c["parent_task_run_id"] and c["work_queue_name"] == "etablissements" for c in children)
    [table] = [a["data"] for a in production.request("/artifacts/filter", {"artifacts": {
        "key": {"any_": ["export-lsu"]}, "flow_run_id": {"any_": [export["id"]]}}})]
    assert f"| {done} | 1 | 1 | 0 | 0 |  |" in table
    assert f"| {empty} | — | — | — | — | Aucune certification Pix de l'établissement {empty}" in table
    said = table + export["message"] + production.logs(export["id"]) + production.logs(attestations["id"])
    assert not [name for name in ("Marchand", "Zoé", "Vidal", "Yann", "7001", "7002") if name in said]
    out = production.root / "out"
    assert (out / f"LSU_{done}_2023-2024.xml").exists() and not list(out.glob(f"LSU_{empty}_*"))
    assert (out / "attestations" / done / "2023-2024" / "Attestations_Pix_3A.pdf").exists()


# What a run that ends Failed by design leaves in its Logs tab on the real worker: its French reason as the last line,
# and no traceback: neither Prefect's « Engine execution exited with unexpected exception » nor the flow's own
# « Encountered exception during execution ».
TRACEBACKS = ("Traceback", "unexpected exception")


def test_a_quarantine_night_ends_its_logs_with_its_reason_and_no_traceback(production, school):
    run = production.run("nightly-ingest/nightly", {"inbox": str(school.inbox), "roster": str(school.roster_path),
                                                     "attestations": False})

    # the module's earlier nights loaded this inbox: its set-aside files, still open, fail this one too
    assert run["type"] == "FAILED" and "écarté" in run["message"], run
    logs = production.log_lines(run["id"], run["message"])
    assert logs[-1] == run["message"], logs[-3:]
    assert not [line for line in logs if any(word in line for word in TRACEBACKS)], logs


def test_an_export_of_a_year_without_data_logs_its_french_message_alone(production, school):
    production.run("nightly-ingest/nightly", {"inbox": str(school.inbox), "roster": str(school.roster_path),
                                              "attestations": False})

    # the module's database holds an académie too (the fan-out test): the establishment is named
    run = production.run("livret-export/export-lsu", {"school_year": "2019-2020", "uai": school.uai})

    assert run["type"] == "FAILED", run
    reason = "Aucune certification Pix de l'établissement 0861234Z pour l'année scolaire 2019-2020 : rien à exporter."
    logs = production.log_lines(run["id"], reason)
    assert logs[-1] == reason, logs[-3:]
    assert not [line for line in logs if any(word in line for word in TRACEBACKS)], logs
    # the task that raised says it too, as the message alone
    assert logs.count(reason) >= 2, logs


def test_serve_alone_starts_its_server_and_runs_the_scheduled_deployments(school, tmp_path):
    """`pix-livret serve` with no server configured, the single school's production: it starts a Prefect server
    (the UI) on the port given, with a password of its own kept beside the database, serves deploy/prefect.yaml's
    deployments for one school with their schedule, runs what is triggered itself (no pool, no worker), and stops
    quickly and cleanly, its server with it, when stopped."""
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "PIX_LIVRET_"))} | {
        "PREFECT_HOME": str(tmp_path / "prefect"), "PREFECT_RUNNER_POLL_FREQUENCY": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1",
        "PIX_LIVRET_DB_URL": f"sqlite:///{tmp_path / 'served.sqlite'}", "PIX_LIVRET_OUT_DIR": str(tmp_path / "out"),
        "PIX_LIVRET_ARCHIVE_DIR": str(tmp_path / "archive")}
    log = tmp_path / "serve.log"
    served = subprocess.Popen([str(BIN / "pix-livret"), "serve", "--port", str(port)], env=env, cwd=tmp_path,
                              stdout=(tmp_path / "serve.out").open("wb"), stderr=log.open("wb"),
                              start_new_session=True)
    password_file = tmp_path / "prefect-api-auth"
    try:
        deployments = _served_deployments(api, password_file, served, log)
        auth = password_file.read_text().strip()
        assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
        assert auth not in (tmp_path / "serve.out").read_text() + log.read_text()
        assert str(password_file) in (tmp_path / "serve.out").read_text()
        with pytest.raises(urllib.error.HTTPError) as refused:
            _post(f"{api}/deployments/filter", auth=None)
        assert refused.value.code == 401
        # nightly-establishment is the académie's: not served to one school
        assert sorted(d["name"] for d in deployments) == ["attestations", "export-lsu", "nightly"]
        [nightly] = [d for d in deployments if d["name"] == "nightly"]
        assert [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in nightly["schedules"]] == [
            ("30 2 * * *", "Europe/Paris")]

        done = subprocess.run([sys.executable, "-c", TRIGGER, "nightly-ingest/nightly", json.dumps(
            {"inbox": str(school.inbox), "roster": str(school.roster_path), "attestations": False}), "{}",
            str(RUN_TIMEOUT)], env=env | {"PREFECT_API_URL": api, "PREFECT_API_AUTH_STRING": auth}, cwd=REPO,
            capture_output=True, text=True, timeout=RUN_TIMEOUT + 30)
        assert done.returncode == 0, done.stderr[-3000:]
        run = json.loads(done.stdout.strip().splitlines()[-1])
        assert run["message"].startswith("Quarantaine :"), (run, log.read_text(errors="replace")[-3000:])

        # stopped during a night: its run is closed « interrompue », and its last log lines reach the server before
        # the server stops (sent after, they ended serve's output with « --- Error logging to API --- »)
        night = make_sample_academie(tmp_path / "academie", establishments=2, classes=4, students_per_class=30)
        subprocess.run([str(BIN / "prefect"), "deployment", "run", "nightly-ingest/nightly", "--param",
                        f"inbox={night.root}"], env=env | {"PREFECT_API_URL": api, "PREFECT_API_AUTH_STRING": auth},
                       cwd=REPO, capture_output=True, check=True, timeout=120)
        _wait_for_a_running_flow_run(api, auth)
        time.sleep(2)
    finally:
        stopping = time.monotonic()
        served.send_signal(signal.SIGTERM)  # as systemd stops it
        served.wait(timeout=60)
        stopped_in = time.monotonic() - stopping
    assert served.returncode == 0 and "never awaited" not in log.read_text(), log.read_text()[-3000:]
    said = log.read_text() + (tmp_path / "serve.out").read_text()
    assert "Exécution interrompue (SIGTERM)" in said and "Error logging to API" not in said, said[-3000:]
    assert stopped_in < 15, stopped_in
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{api}/health", timeout=5)


def _post(url: str, auth: str | None, body: dict | None = None) -> list:
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
    with urllib.request.urlopen(urllib.request.Request(url, data=json.dumps(body or {}).encode(), headers=headers),
                                timeout=5) as response:
        return json.loads(response.read())


def _wait_for_a_running_flow_run(api: str, auth: str) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if _post(f"{api}/flow_runs/filter", auth, {"flow_runs": {"state": {"type": {"any_": ["RUNNING"]}}}}):
            return
        time.sleep(0.5)
    raise AssertionError("no flow run started")


def _served_deployments(api: str, password_file: Path, served: subprocess.Popen, log: Path) -> list:
    """The deployments `serve` registered, once its runner is up (it registers them just before it starts)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and served.poll() is None:
        try:
            deployments = _post(f"{api}/deployments/filter", password_file.read_text().strip())
            if {d["name"] for d in deployments} >= {"nightly", "export-lsu", "attestations"}:
                return deployments
        except (OSError, ConnectionError):  # no password file yet, or no server yet (URLError is an OSError)
            pass
        time.sleep(1)
    raise AssertionError(log.read_text(errors="replace")[-3000:])
