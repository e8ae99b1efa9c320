"""The inbox: which establishments it holds, their roster, their input files, and what is left unread and why.

Takes the inbox folder and the command-line choices; returns one EstablishmentInbox per establishment (the inbox
itself, or one sub-folder per UAI for an académie), and every other entry as an IgnoredEntry with its reason.
No symbolic link is followed, in or out of the inbox: its target is never opened.
"""
from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from transforms.schools import NAME_MAX_LENGTH
from transforms.worded import WordedError

UAI_PATTERN = re.compile(r"^[0-9]{7}[A-Z]$")
SCHOOLS_FILE = "etablissements.csv"  # at the root of an académie inbox: UAI -> name

IgnoredRule = Literal["symlink", "unreadable", "special_file", "hidden", "lock_file", "folder", "not_a_uai_folder",
                      "academie_root_file", "roster", "schools_list", "ambiguous_roster", "other_roster", "duplicate"]
# A link may lead anywhere (/etc/passwd, another school's folder); a file that cannot be read is input lost for
# this run: both are set aside (exit 3), the administrator has something to fix. The others are expected debris.
SET_ASIDE_RULES = frozenset({"symlink", "unreadable"})
IGNORED_REASONS: dict[str, str] = {
    "symlink": "lien symbolique : jamais suivi, sa cible n'est pas lue (déposez le fichier lui-même)",
    "unreadable": "fichier illisible ({detail}) : vérifiez ses droits",
    "special_file": "ni fichier ni dossier (tube, socket ou périphérique) : non lu",
    "hidden": "élément caché (nom commençant par un point) : non lu",
    "lock_file": "fichier de verrouillage d'un tableur : non lu",
    "folder": "dossier : les sous-dossiers d'un établissement ne sont pas lus",
    "not_a_uai_folder": "dossier dont le nom n'est pas un UAI (7 chiffres et une lettre) : pas un établissement",
    "academie_root_file": "fichier à la racine d'un dépôt académique : à placer dans le dossier de son établissement",
    "roster": "liste d'élèves SIECLE de l'établissement (utilisée comme telle)",
    "schools_list": "liste des établissements (utilisée pour leurs noms)",
    "ambiguous_roster": "plusieurs fichiers XML : aucun n'est pris comme liste d'élèves (n'en laissez qu'un ou "
                        "donnez --roster)",
    "other_roster": "fichier XML non lu : la liste d'élèves est celle donnée par --roster",
    "duplicate": "contenu identique à « {detail} » : lu une seule fois",
}


class InboxError(WordedError, ValueError):
    """The inbox or the options cannot be used (a usage error: exit 2)."""


class RefusedFile(OSError):
    """An inbox file that may not be read: a link, or not a regular file, or unreadable. RULE says which."""

    def __init__(self, rule: IgnoredRule, detail: str = ""):
        super().__init__(rule)
        self.rule, self.detail = rule, detail


@dataclass(frozen=True)
class IgnoredEntry:
    """An entry of the inbox that is not read as a results file, and why (French, for the administrator)."""

    name: str  # as it is in its folder, exactly (the terminal escapes it, the JSON report does not)
    uai: str | None  # its establishment; None at the root of an académie inbox
    rule: IgnoredRule
    reason: str

    @classmethod
    def of(cls, name: str, uai: str | None, rule: IgnoredRule, detail: str = "") -> IgnoredEntry:
        return cls(name, uai, rule, IGNORED_REASONS[rule].format(detail=detail))

    @property
    def set_aside(self) -> bool:
        return self.rule in SET_ASIDE_RULES


@dataclass(frozen=True)
class EstablishmentInbox:
    folder: Path
    uai: str | None  # from --uai or the sub-folder's name; else the roster's UAJ
    roster: Path | None
    files: tuple[Path, ...]
    name: str | None = None  # as the attestations print it; SIECLE's export has none
    ignored: tuple[IgnoredEntry, ...] = ()  # entries of its folder not read as results


@dataclass(frozen=True)
class Inbox:
    establishments: list[EstablishmentInbox]
    ignored: tuple[IgnoredEntry, ...] = field(default=())  # at the root of an académie inbox


def list_inbox(inbox: Path, roster: Path | None = None, uai: str | None = None, name: str | None = None,
               schools: dict[str, str] | None = None) -> Inbox:
    """The establishments of INBOX and every entry left unread with its reason; SCHOOLS (UAI -> name) names
    those of an académie. Nothing is opened: entries are told apart by lstat.
    """
    if not inbox.is_dir():
        raise InboxError(f"Dossier de dépôt introuvable : {inbox}")
    if roster is not None and not roster.is_file():
        raise InboxError(f"Fichier élèves introuvable : {roster}")
    if uai is not None and not UAI_PATTERN.match(uai):
        raise InboxError(f"UAI invalide : « {uai} » (7 chiffres et une lettre, ex. 0861234Z)")
    entries = _entries(inbox)
    academy = [p for p, mode in entries if stat.S_ISDIR(mode) and UAI_PATTERN.match(p.name)]
    if academy and uai is None:
        if name:
            raise InboxError("--school-name vaut pour un seul établissement, pas pour un dossier par UAI")
        if roster is not None:  # it would be no establishment's, and every certification would end unmatched
            raise InboxError(f"--roster vaut pour un seul établissement, pas pour un dossier par UAI : déposez la "
                             f"liste d'élèves SIECLE de chaque établissement dans son dossier "
                             f"({inbox / academy[0].name / 'ElevesSansAdresses.xml'}), sans --roster")
        ignored = [_ignored_at_academie_root(p, mode) for p, mode in entries if p not in academy]
        establishments = []
        for folder in academy:
            try:
                establishments.append(_establishment(folder, None, folder.name, (schools or {}).get(folder.name)))
            except OSError as error:  # a folder the run may not list: said, and the others go on
                ignored.append(IgnoredEntry.of(folder.name, None, "unreadable", type(error).__name__))
        return Inbox(establishments, tuple(sorted(ignored, key=lambda e: e.name)))
    named = (name or "").strip() or (schools or {}).get(uai or "")
    if named and len(named) > NAME_MAX_LENGTH:
        raise InboxError(f"Nom d'établissement trop long ({len(named)} caractères, {NAME_MAX_LENGTH} au plus) : "
                         "abrégez --school-name")
    # an explicit --roster is the administrator's choice: its real path, so that reading it refuses no link
    return Inbox([_establishment(inbox, roster.resolve() if roster else None, uai, named or None, root=True)])


def find_establishments(inbox: Path, roster: Path | None = None, uai: str | None = None,
                        name: str | None = None, schools: dict[str, str] | None = None) -> list[EstablishmentInbox]:
    """The establishments of INBOX (list_inbox without the entries left at the root of an académie)."""
    return list_inbox(inbox, roster, uai, name, schools).establishments


def find_schools_file(inbox: Path) -> Path | None:
    """The académie's etablissements.csv at the root of INBOX, whatever its case, if there is one (not a link)."""
    if not inbox.is_dir():
        return None
    return next((p for p, mode in _entries(inbox) if stat.S_ISREG(mode) and _is_schools_file(p)), None)


def read_inbox_file(path: Path) -> bytes:
    """The bytes of PATH, a regular file of the inbox; RefusedFile for a link (never followed, even if it was
    swapped in after the inbox was listed), a pipe or device (opened without blocking), or an unreadable file.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise RefusedFile("symlink") from None
        raise RefusedFile("unreadable", type(error).__name__) from None
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise RefusedFile("special_file")
        try:
            return handle.read()
        except OSError as error:
            raise RefusedFile("unreadable", type(error).__name__) from None


def _establishment(folder: Path, roster: Path | None, uai: str | None, name: str | None = None,
                   root: bool = False) -> EstablishmentInbox:
    files, ignored, xml = [], [], []
    for path, mode in _entries(folder):
        rule = _debris_rule(path, mode, inside_establishment=True)
        if rule is None and root and _is_schools_file(path):
            rule = "schools_list"  # read by the flow for the names; never a class file
        if rule is not None:
            ignored.append(IgnoredEntry.of(path.name, uai, rule))
        elif roster is not None and path.resolve() == roster:
            ignored.append(IgnoredEntry.of(path.name, uai, "roster"))
        elif path.suffix.lower() == ".xml":
            xml.append(path)
        else:
            files.append(path)
    if roster is None and len(xml) == 1:
        roster = xml[0]
        ignored.append(IgnoredEntry.of(roster.name, uai, "roster"))
    else:
        ignored += [IgnoredEntry.of(p.name, uai, "other_roster" if roster else "ambiguous_roster") for p in xml]
    return EstablishmentInbox(folder, uai, roster, tuple(files), name, tuple(sorted(ignored, key=lambda e: e.name)))


def _ignored_at_academie_root(path: Path, mode: int) -> IgnoredEntry:
    rule = _debris_rule(path, mode, inside_establishment=False)
    if rule is None:
        rule = "schools_list" if _is_schools_file(path) else "academie_root_file"
    return IgnoredEntry.of(path.name, None, rule)


def _debris_rule(path: Path, mode: int, inside_establishment: bool) -> IgnoredRule | None:
    """Why an entry is not a candidate file, from its name and lstat mode; None for a regular, visible file."""
    if stat.S_ISLNK(mode):
        return "symlink"
    # spreadsheets leave lock files (~$…, .~lock…#) and file managers .DS_Store beside the exports
    if path.name.startswith(("~$", ".~lock")):
        return "lock_file"
    if path.name.startswith("."):
        return "hidden"
    if stat.S_ISDIR(mode):
        return "folder" if inside_establishment else "not_a_uai_folder"
    if not stat.S_ISREG(mode):
        return "special_file"
    return None


def _is_schools_file(path: Path) -> bool:
    return path.name.lower() == SCHOOLS_FILE


def _entries(folder: Path) -> list[tuple[Path, int]]:
    # lstat, not stat: a link is seen as a link, its target is not even looked at
    return sorted((Path(entry.path), entry.stat(follow_symlinks=False).st_mode) for entry in os.scandir(folder))
