"""Content-addressed copies of input files: every file is kept, named by its SHA-256.

Takes bytes and an archive folder; returns the digest and the path of the copy (owner and group only).
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from transforms.private_files import write_private_file


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def archive_copy(content: bytes, digest: str, archive_dir: Path, suffix: str) -> Path:
    """Writes CONTENT once under archive_dir/ab/abcdef….suffix; an existing copy is left as is."""
    target = archive_path(digest, archive_dir, suffix)
    return target if target.exists() else write_private_file(target, content)


def archive_path(digest: str, archive_dir: Path, suffix: str) -> Path:
    """Where the copy of the file of DIGEST is (or goes)."""
    return archive_dir / digest[:2] / f"{digest}{suffix.lower()}"
