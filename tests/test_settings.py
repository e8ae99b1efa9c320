"""pipeline/settings.py: built once by an entry point, put in use around a flow, the database URL never shown."""
from __future__ import annotations

from pathlib import Path

from pipeline.settings import Settings, current_settings, using


def test_settings_come_from_the_environment_when_none_are_in_use(monkeypatch, tmp_path):
    monkeypatch.setenv("PIX_LIVRET_DB_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    monkeypatch.setenv("PIX_LIVRET_OUT_DIR", str(tmp_path / "out"))

    assert current_settings().database_url == f"sqlite:///{tmp_path / 'env.sqlite'}"
    assert current_settings().out_dir == tmp_path / "out"


def test_the_settings_in_use_win_over_the_environment_and_go_with_the_block(monkeypatch, tmp_path):
    monkeypatch.setenv("PIX_LIVRET_DB_URL", "sqlite:///ailleurs.sqlite")
    given = Settings(db_url=f"sqlite:///{tmp_path / 'cli.sqlite'}", out_dir=tmp_path / "sorties")

    with using(given):
        assert current_settings() is given

    assert current_settings().database_url == "sqlite:///ailleurs.sqlite"


def test_the_database_url_is_shown_masked():
    settings = Settings(db_url="postgresql+psycopg://pix:motdepasse@db/pix")

    assert "motdepasse" not in repr(settings) and "motdepasse" not in str(settings)
    assert "motdepasse" not in settings.model_dump_json()


def test_without_a_url_the_database_is_a_sqlite_file_under_var(monkeypatch, tmp_path):
    monkeypatch.delenv("PIX_LIVRET_DB_URL", raising=False)
    monkeypatch.chdir(tmp_path)

    assert Settings().database_url == f"sqlite:///{Path('var/pix-livret.sqlite').resolve()}"
