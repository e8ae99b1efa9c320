"""Writing output files that hold minors' personal data: atomically, readable by owner and group only.

Takes a path and bytes; the XML export, its left-out list, the attestations and the archive copies all go through
here. A full disk, a read-only or forbidden folder is a StorageFailure that names the folder, in French.
"""
from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from transforms.worded import WordedError

FILE_MODE = 0o640
DIR_MODE = 0o750
# what an administrator can fix about a folder, in French; any other OSError is left as it is
STORAGE_PROBLEMS = {
    errno.ENOSPC: "disque plein : libérez de la place",
    errno.EDQUOT: "quota de disque atteint : libérez de la place ou faites relever le quota",
    errno.EROFS: "disque en lecture seule",
    errno.EACCES: "droits insuffisants : l'utilisateur qui lance pix-livret doit pouvoir y écrire",
    errno.EPERM: "droits insuffisants : l'utilisateur qui lance pix-livret doit pouvoir y écrire",
}


class StorageFailure(WordedError, RuntimeError):
    """A private file that could not be written, told in French by its folder (a file's own name may name a
    student: it is never said); the system's error, which quotes the path, is dropped."""

    @classmethod
    def of(cls, error: OSError, folder: Path) -> StorageFailure:
        return cls(f"Écriture impossible dans {folder} ({STORAGE_PROBLEMS[error.errno]}). Les dossiers se "
                   "règlent par PIX_LIVRET_ARCHIVE_DIR et PIX_LIVRET_OUT_DIR ; les fichiers reçus restent dans la "
                   "boîte de dépôt, la prochaine exécution les reprendra.")


def write_private_file(path: Path, data: bytes, *, durable: bool = False, mode: int = FILE_MODE) -> Path:
    """Writes DATA to PATH through a temporary file renamed over it, mode 0640 (or MODE: 0600 for a secret) whatever
    the umask.

    A reader (the livret's import, a backup, a teacher opening a PDF) sees the old file or the new one, never
    half of one. DURABLE also flushes the file and the folder entry to disk, so the rename survives a power cut.
    """
    try:
        return _write_atomically(path, data, durable, mode)
    except OSError as error:
        if error.errno in STORAGE_PROBLEMS:
            raise StorageFailure.of(error, path.parent) from None  # the OSError quotes the file's name
        raise


def _write_atomically(path: Path, data: bytes, durable: bool, mode: int) -> Path:
    make_private_dirs(path.parent)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.chmod(temporary, mode)
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
