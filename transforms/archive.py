"""Content-addressed copies of input files: every file is kept, named by its SHA-256.

Takes bytes and an archive folder; returns the digest and the path of the copy (owner and group only).
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def archive_copy(content: bytes, digest: str, archive_dir: Path, suffix: str) -> Path:
    """Writes CONTENT once under archive_dir/ab/abcdef….suffix; an existing copy is left as is."""
    target = archive_dir / digest[:2] / f"{digest}{suffix.lower()}"
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o750)
    temporary = target.with_name(target.name + ".part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(content)
    os.replace(temporary, target)
    return target
