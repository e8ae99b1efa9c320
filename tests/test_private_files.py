"""Output files: written atomically, readable by owner and group only, whatever the umask."""
from __future__ import annotations

import os
import stat

import pytest

from tests.builders import full_disk_under
from transforms.private_files import StorageFailure, write_private_file


@pytest.mark.parametrize("durable", [False, True])
def test_write_is_atomic_and_private(tmp_path, durable):
    target = tmp_path / "out" / "LSU_0861234Z_2025-2026.xml"
    old_umask = os.umask(0)  # the mode must not depend on the caller's umask
    try:
        write_private_file(target, b"first", durable=durable)
        write_private_file(target, b"second", durable=durable)
    finally:
        os.umask(old_umask)
    assert target.read_bytes() == b"second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary file left behind


def test_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "LSU.xml"
    write_private_file(target, b"old")

    def broken_replace(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_private_file(target, b"new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["LSU.xml"]


def test_missing_folders_are_created_private(tmp_path):
    write_private_file(tmp_path / "a" / "b" / "x.pdf", b"%PDF")
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o750
    assert stat.S_IMODE((tmp_path / "a" / "b").stat().st_mode) == 0o750


def test_a_full_disk_is_said_in_french_by_the_folder_never_the_file(tmp_path, monkeypatch):
    folder = tmp_path / "attestations" / "3A"
    full_disk_under(tmp_path / "attestations", monkeypatch)

    with pytest.raises(StorageFailure) as raised:
        write_private_file(folder / "DUPONT_Lea.pdf", b"%PDF" * 10_000)

    message = str(raised.value)
    assert "disque plein" in message and str(folder) in message and "DUPONT" not in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # the OSError quotes the file
