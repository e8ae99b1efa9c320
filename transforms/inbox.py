"""The inbox: which establishments it holds, their roster and their input files.

Takes the inbox folder and the command-line choices; returns one EstablishmentInbox per establishment
(the inbox itself, or one sub-folder per UAI for an académie).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

from transforms.schools import NAME_MAX_LENGTH

UAI_PATTERN = re.compile(r"^[0-9]{7}[A-Z]$")


class InboxError(ValueError):
    """The inbox or the options cannot be used (a usage error: exit 2)."""


@dataclass(frozen=True)
class EstablishmentInbox:
    folder: Path
    uai: str | None  # from --uai or the sub-folder's name; else the roster's UAJ
    roster: Path | None
    files: tuple[Path, ...]
    name: str | None = None  # as the attestations print it; SIECLE's export has none


SCHOOLS_FILE = "etablissements.csv"  # at the root of an académie inbox: UAI -> name


def find_establishments(inbox: Path, roster: Path | None = None, uai: str | None = None,
                        name: str | None = None, schools: dict[str, str] | None = None) -> list[EstablishmentInbox]:
    """The establishments of INBOX; SCHOOLS (UAI -> name) names those of an académie."""
    if not inbox.is_dir():
        raise InboxError(f"Dossier de dépôt introuvable : {inbox}")
    if roster is not None and not roster.is_file():
        raise InboxError(f"Fichier élèves introuvable : {roster}")
    if uai is not None and not UAI_PATTERN.match(uai):
        raise InboxError(f"UAI invalide : « {uai} » (7 chiffres et une lettre, ex. 0861234Z)")
    academy = sorted(p for p in inbox.iterdir() if p.is_dir() and UAI_PATTERN.match(p.name))
    if academy and uai is None:
        if name:
            raise InboxError("--school-name vaut pour un seul établissement, pas pour un dossier par UAI")
        return [replace(_establishment(folder, None, folder.name), name=(schools or {}).get(folder.name))
                for folder in academy]
    named = (name or "").strip() or (schools or {}).get(uai or "")
    if named and len(named) > NAME_MAX_LENGTH:
        raise InboxError(f"Nom d'établissement trop long ({len(named)} caractères, {NAME_MAX_LENGTH} au plus) : "
                         "abrégez --school-name")
    return [replace(_establishment(inbox, roster, uai), name=named or None)]


def find_schools_file(inbox: Path) -> Path | None:
    """The académie's etablissements.csv at the root of INBOX, whatever its case, if there is one."""
    if not inbox.is_dir():
        return None
    return next((p for p in sorted(inbox.iterdir()) if p.is_file() and p.name.lower() == SCHOOLS_FILE), None)


def _establishment(folder: Path, roster: Path | None, uai: str | None) -> EstablishmentInbox:
    candidates = [p for p in _visible_files(folder) if p.suffix.lower() == ".xml"]
    roster = roster or (candidates[0] if len(candidates) == 1 else None)
    files = tuple(p for p in _visible_files(folder)
                  if p.suffix.lower() != ".xml" and (roster is None or p.resolve() != roster.resolve()))
    return EstablishmentInbox(folder, uai, roster, files)


def _visible_files(folder: Path) -> list[Path]:
    # spreadsheets leave lock files (~$…, .~lock…#) and file managers leave .DS_Store beside the exports
    return sorted(p for p in folder.iterdir()
                  if p.is_file() and not p.name.startswith((".", "~$")))
