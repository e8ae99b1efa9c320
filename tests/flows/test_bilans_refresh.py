"""The nightly run's bilans: made when the data changed, left alone otherwise, published without names."""
from __future__ import annotations

import asyncio
import json

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from prefect.client.schemas.sorting import ArtifactSort

from flows.nightly_ingest import nightly_ingest, report_of
from pix_livret.demo.sample_data import make_sample_establishment

pytestmark = pytest.mark.usefixtures("prefect_harness")


def artifacts(key: str) -> list:
    """The artifacts published under KEY, newest first."""
    async def read():
        async with get_client() as client:
            return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])),
                                              sort=ArtifactSort.CREATED_DESC)
    return asyncio.run(read())


def test_the_nightly_run_makes_the_bilan_once_and_publishes_its_class_table_without_names(db_url, tmp_path,
                                                                                           monkeypatch):
    for variable, folder in (("PIX_LIVRET_ARCHIVE_DIR", "archive"), ("PIX_LIVRET_OUT_DIR", "out")):
        monkeypatch.setenv(variable, str(tmp_path / folder))
    monkeypatch.setenv("PIX_LIVRET_DB_URL", db_url)
    sample = make_sample_establishment(tmp_path / "sample")
    key = f"bilan-{sample.uai.lower()}"
    before = len(artifacts(key))  # the harness is the session's: other tests publish under this key too

    def run():
        return report_of(nightly_ingest(inbox=str(sample.inbox), roster=str(sample.roster_path), attestations=False,
                                        return_state=True))

    assert run() is not None
    bilan = tmp_path / "out" / "bilans" / sample.uai / "2025-2026" / f"Bilan_Pix_{sample.uai}_2025-2026.html"
    made_at = bilan.stat().st_mtime_ns
    assert not bilan.with_suffix(".pdf").exists()  # made on demand only (`pix-livret report`)
    published = artifacts(key)
    assert len(published) == before + 1 and published[0].type == "table"
    rows = json.loads(published[0].data)
    assert rows[0]["Classe"] == "3A" and "Validées / candidats" in rows[0]
    table = json.dumps(rows, ensure_ascii=False)
    names = {part for s in sample.students for part in (s.last_name, s.first_name)}
    assert not [name for name in names if name in table]

    run()  # nothing changed: the bilan is not made again, nothing published again

    assert bilan.stat().st_mtime_ns == made_at
    assert len(artifacts(key)) == before + 1
