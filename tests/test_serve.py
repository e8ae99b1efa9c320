"""`pix-livret serve`'s API password, without a server: where it is kept, its mode, and that it is the same on every
start (tests/test_production_path.py starts the real thing)."""
from __future__ import annotations

import stat

from pipeline.settings import Settings
from pix_livret.serve import api_auth, kept_auth


def test_the_password_is_made_once_beside_the_sqlite_database_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("PREFECT_SERVER_API_AUTH_STRING", raising=False)
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'base' / 'pix-livret.sqlite'}")

    made, kept_in = api_auth(settings)
    again, _ = api_auth(settings)

    assert kept_in == tmp_path / "base" / "prefect-api-auth"
    assert stat.S_IMODE(kept_in.stat().st_mode) == 0o600
    user, password = made.split(":")
    assert user == "admin" and len(password) >= 24
    assert again == made == kept_auth(settings)


def test_a_password_file_left_readable_by_others_is_tightened(tmp_path, monkeypatch):
    monkeypatch.delenv("PREFECT_SERVER_API_AUTH_STRING", raising=False)
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'pix-livret.sqlite'}")
    made, kept_in = api_auth(settings)
    kept_in.chmod(0o644)  # as a careless copy or restore leaves it

    assert api_auth(settings) == (made, kept_in)
    assert stat.S_IMODE(kept_in.stat().st_mode) == 0o600


def test_with_postgresql_the_password_is_kept_in_the_archive_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("PREFECT_SERVER_API_AUTH_STRING", raising=False)
    settings = Settings(db_url="postgresql+psycopg://pix@db.lan/pix_livret", archive_dir=tmp_path / "archive")

    _, kept_in = api_auth(settings)

    assert kept_in == tmp_path / "archive" / "prefect-api-auth"


def test_the_environment_s_password_wins_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_SERVER_API_AUTH_STRING", "ecole:choisi-par-l-admin")
    settings = Settings(db_url=f"sqlite:///{tmp_path / 'pix-livret.sqlite'}")

    assert api_auth(settings) == ("ecole:choisi-par-l-admin", None)
    assert list(tmp_path.iterdir()) == []
