"""One ingest run (tests/ingest_runs.py) in a process of its own, for tests/test_crash_safety.py to kill or to run twice at once.

    python tests/crash_worker.py SPEC_JSON

SPEC_JSON: database_url, inbox, archive_dir, workers, batch_files (pipeline.ingest.BATCH_FILES for this run:
small, so that a small académie makes several batches and workers > 1 really uses the process pool), schools
(UAI -> name), report (where the run's JSON report is written at the end), wait_for_go (optional: print "ready"
once imported, then wait for a line on stdin).

Prints "ingest starts" on stdout just before the run (a timed kill counts from there), and exits 0
once the report is written.

PIX_LIVRET_CRASH_AT="after:save_certifications:2" (or "before:…") makes the 2nd call of
pipeline.ingest.save_certifications (or of a name of tests/ingest_runs.py) in any one process of the run (the parent
or a worker) kill the whole process group with SIGKILL: a crash at a chosen point of the code rather than at a moment.
The hook is installed at import time, so that the spawned workers, which run this module's top level again as
__mp_main__, have it too.
"""
from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import pipeline.ingest as ingest
import tests.ingest_runs as ingest_runs

CRASH_ENV = "PIX_LIVRET_CRASH_AT"


def _crash() -> None:
    os.killpg(os.getpgid(0), signal.SIGKILL)


def _install_crash_hook(spec: str) -> None:
    when, name, nth = spec.split(":")
    if when not in ("before", "after"):
        raise ValueError(f"{CRASH_ENV}: before or after, not {when!r}")
    # the schema's upgrade is the run's (tests/ingest_runs.py), the rest pipeline.ingest's
    module = ingest if hasattr(ingest, name) else ingest_runs
    original, calls = getattr(module, name), 0

    def hooked(*args, **kwargs):
        nonlocal calls
        calls += 1
        if when == "before" and calls == int(nth):
            _crash()
        result = original(*args, **kwargs)
        if when == "after" and calls == int(nth):
            _crash()
        return result

    setattr(module, name, hooked)


if os.environ.get(CRASH_ENV):
    _install_crash_hook(os.environ[CRASH_ENV])


def main(spec: dict) -> None:
    ingest.BATCH_FILES = spec["batch_files"]
    if spec.get("wait_for_go"):  # several runs started together: all imported, then released at one instant
        print("ready", flush=True)
        sys.stdin.readline()
    print("ingest starts", flush=True)
    report = ingest_runs.ingested(Path(spec["inbox"]), spec["database_url"], Path(spec["archive_dir"]),
                                  schools=spec["schools"], workers=spec["workers"])
    Path(spec["report"]).write_text(json.dumps(report.asdict(), default=str), encoding="utf-8")


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
