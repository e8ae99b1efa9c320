"""Writing output files that hold minors' personal data: atomically, readable by owner and group only.

Takes a path and bytes; the XML export, its left-out list and the attestations all go through here.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

FILE_MODE = 0o640
DIR_MODE = 0o750


def write_private_file(path: Path, data: bytes, *, durable: bool = False) -> Path:
    """Writes DATA to PATH through a temporary file renamed over it, mode 0640 whatever the umask.

    A reader (the livret's import, a backup, a teacher opening a PDF) sees the old file or the new one, never
    half of one. DURABLE also flushes the file and the folder entry to disk, so the rename survives a power cut.
    """
    make_private_dirs(path.parent)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if durable:
        _fsync_directory(path.parent)
    return path


def make_private_dirs(folder: Path) -> None:
    """Creates FOLDER and its missing parents with mode 0750; existing folders are left as they are."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for directory in reversed(missing):
        directory.mkdir(mode=DIR_MODE, exist_ok=True)


def _fsync_directory(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:  # some file systems refuse fsync on a folder: the data itself is on disk
        pass
    finally:
        os.close(descriptor)
