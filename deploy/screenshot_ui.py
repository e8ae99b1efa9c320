"""A screenshot of a quarantined nightly run's page in Prefect's UI, in headless Chromium (Debian's chromium).

    .venv/bin/python deploy/screenshot_ui.py [docs/ui-quarantined-run.png]    (or `make ui-screenshot`)

Starts the production path of tests/test_production_path.py (server, pool, deployments, worker) on a free
loopback port, without the API's auth string (the UI would ask for it first), runs the nightly deployment on
the sample establishment (it sets bad rows aside: Failed, « Quarantaine : … »), opens the run's page and saves the screenshot.
Every process it starts is stopped at the end.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pix_livret.demo.sample_data import make_sample_establishment  # noqa: E402
from tests.test_production_path import Production  # noqa: E402

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--window-size=1440,1000", "--virtual-time-budget=20000"]


def main(target: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        school = make_sample_establishment(root / "school")
        (root / "production").mkdir()
        production = Production(root / "production", auth=None)
        try:
            run = production.run("nightly-ingest/nightly", {"inbox": str(school.inbox),
                                                             "roster": str(school.roster_path),
                                                             "school_name": "Collège Jean Moulin"})
            print(f"run {run['id']}: {run['type']} {run['name']} — {run['message']}")
            target.parent.mkdir(parents=True, exist_ok=True)
            # the run's page, and the runs list with the UI's default filter (it must show the run)
            runs_list = target.with_name(target.stem.replace("run", "runs-list") + target.suffix)
            for path, page in ((target, f"/runs/flow-run/{run['id']}"), (runs_list, "/runs")):
                subprocess.run(["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={root / 'chromium'}",
                                f"--screenshot={path.resolve()}", f"{production.ui}{page}"],
                               check=True, timeout=120, capture_output=True)
                print(f"screenshot: {path}")
        finally:
            production.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "docs" / "ui-quarantined-run.png")
