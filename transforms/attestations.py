"""Attestations: exported VALIDEE certifications (StoredCertificationFrame rows) → pages → class and student PDFs.

Pure but for WeasyPrint: no database (the attestations rendered before come in as StoredAttestation values, read
by store/attestations.py), no clock, no environment, no file writes; the flow passes the date and writes the bytes.
"""
from __future__ import annotations

import hashlib
import io
import json
import re
import unicodedata
from dataclasses import asdict, dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pandera.typing import DataFrame

from schemas.referential import DOMAINS, Status, competences_of
from schemas.stored import StoredCertificationFrame
from transforms.clean_text import clean_frame, remove_unwanted
from transforms.pdf_engine import html_class

TEMPLATES = Path(__file__).resolve().parent / "templates"
NOT_OBTAINED = "-"  # the livret's attestation shows "-" for a level below 1 or not evaluated
NO_DIVISION = "Sans classe"
SCORE_UNIT = "Pix"  # as Pix writes it: « 448 Pix »
# what the centre's two lines hold at most (the template gives it two, for every student): past it, shortened
CENTRE_SHOWN = 110


@dataclass(frozen=True)
class CompetenceLine:
    code: str
    label: str
    level: str  # "1"…"8", or "-"


@dataclass(frozen=True)
class DomainBlock:
    code: str
    label: str
    competences: tuple[CompetenceLine, ...]


@dataclass(frozen=True)
class AttestationPage:
    """What one attestation page shows, as display strings (French dates).

    None is a fact the export did not give: the page prints « non communiqué » in its place, on every page alike.
    """

    number: int  # the Pix certification number
    division: str
    establishment: str
    last_name: str
    first_name: str
    birth_date: str  # JJ/MM/AAAA
    centre: str | None  # only the oldest and the session exports have the column
    passed_on: str | None  # JJ/MM/AAAA
    score: str  # « 448 Pix »
    global_level: str | None  # only the current export has one (never made up from a score)
    session: str | None
    head: str | None  # the chef d'établissement who signs: the same for the whole establishment
    domains: tuple[DomainBlock, ...]
    generated_at: str  # not part of content_hash: a re-run must not count as a change


@dataclass(frozen=True)
class RenderedClass:
    """One class rendered: the class PDF, and each student's PDF keyed by certification number."""

    division: str
    class_pdf: bytes | None  # None for a class with no validated student: no PDF
    student_pdfs: dict[int, bytes]


def build_attestation_pages(exported_rows: DataFrame[StoredCertificationFrame], establishment: str,
                            generated_at: datetime, head: str | None = None) -> list[AttestationPage]:
    """One page per VALIDEE row matched to the roster, ordered by division then name; other rows get none.

    HEAD, the chef d'établissement's name, goes on every page's signature block (left blank without one).
    """
    # text stored before the readers removed control and bidi characters: no page prints them
    exported_rows, establishment = clean_frame(exported_rows), remove_unwanted(establishment)
    head = _text(remove_unwanted(head)) if head else None
    eligible = exported_rows[(exported_rows["status"] == Status.VALIDATED.value) & exported_rows["eleve_id"].notna()]
    stamp = generated_at.strftime("%d/%m/%Y à %H:%M")
    pages = [_page_of(row, establishment, head, stamp) for row in eligible.to_dict("records")]
    return sorted(pages, key=lambda page: (collation_key(page.division), *sort_key(page)))


def _page_of(row: dict, establishment: str, head: str | None, stamp: str) -> AttestationPage:
    return AttestationPage(
        number=int(row["number"]),
        division=_text(row["student_division"]) or _text(row["division"]) or NO_DIVISION,
        establishment=establishment,
        # the roster's names, as the livret has them; Pix's spelling only if the roster lacks one
        last_name=_text(row["student_last_name"]) or row["last_name"],
        first_name=first_name_as_written(_text(row["student_first_name"]) or row["first_name"]),
        birth_date=_french_date(row["student_birth_date"]) or _french_date(row["birth_date"]),
        centre=shortened(_text(row["centre"]), CENTRE_SHOWN),
        passed_on=_french_date(row["passed_on"]),
        score=score_text(row["score"]),
        global_level=_text(row["global_level"]),
        session=_text(row["session"]),
        head=head,
        domains=tuple(_domain_block(domain, row) for domain in DOMAINS),
        generated_at=stamp,
    )


def _domain_block(domain, row: dict) -> DomainBlock:
    return DomainBlock(domain.code, domain.label, tuple(
        CompetenceLine(c.code, c.label, level_text(row[c.column])) for c in competences_of(domain)))


def level_text(level) -> str:
    """The level as the attestation prints it: "-" below 1 or when not evaluated."""
    return NOT_OBTAINED if pd.isna(level) or int(level) < 1 else str(int(level))


def score_text(score) -> str:
    """« 448 Pix »: the unit as Pix writes it; "-" for a score the export did not give."""
    return NOT_OBTAINED if score is None or pd.isna(score) else f"{int(score)} {SCORE_UNIT}"


def shortened(text: str | None, limit: int) -> str | None:
    """TEXT cut at its last word before LIMIT characters, with « … », when longer."""
    if text is None or len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;-") + "…"


def first_name_as_written(name: str) -> str:
    """SIECLE writes first names in capitals: "JEAN-BAPTISTE" prints "Jean-Baptiste"; a typed spelling stays."""
    return name.title() if name.isupper() else name


def _text(value) -> str | None:
    return None if value is None or pd.isna(value) or not str(value).strip() else str(value)


def _french_date(value) -> str | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%d/%m/%Y")


def collation_key(text: str) -> str:
    """Accent- and case-insensitive key: "Émile" sorts with "Emile", before "Fabre"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def sort_key(page: AttestationPage) -> tuple[str, str, int]:
    return collation_key(page.last_name), collation_key(page.first_name), page.number


def group_by_division(pages: list[AttestationPage]) -> dict[str, tuple[AttestationPage, ...]]:
    """Pages per division, each in name order; divisions in collation order."""
    divisions = sorted({page.division for page in pages}, key=collation_key)
    return {d: tuple(sorted((p for p in pages if p.division == d), key=sort_key)) for d in divisions}


def content_hash(page: AttestationPage) -> str:
    """SHA-256 of everything the page shows but its generation date."""
    shown = asdict(page)
    del shown["generated_at"]
    return hashlib.sha256(json.dumps(shown, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()


@cache
def _environment() -> Environment:
    # autoescape on everything: names are typed by people ("D'Artagnan & Fils", "<b>")
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)


def render_html(pages: list[AttestationPage] | tuple[AttestationPage, ...]) -> str:
    """The class as one HTML document, whitespace between tags removed (fewer nodes for WeasyPrint to parse)."""
    html = _environment().get_template("attestation.html.j2").render(pages=pages)
    # safe: typed text is escaped, so a ">   <" can only come from the template's own tags
    return _BETWEEN_TAGS.sub("><", html)


_BETWEEN_TAGS = re.compile(r">\s+<")


def render_pdf(pages: list[AttestationPage] | tuple[AttestationPage, ...]) -> bytes:
    """One PDF with one A4 page per attestation page, fonts embedded (subsets)."""
    # base_url keeps any relative reference local; the template references no external resource
    document = html_class("attestation.user-agent.css")(string=render_html(pages), base_url=str(TEMPLATES))
    return document.write_pdf(stylesheets=[_stylesheet()])


@cache
def _stylesheet():
    from weasyprint import CSS

    return CSS(filename=str(TEMPLATES / "attestation.css"))


def render_job(job: ClassJob) -> RenderedClass:
    """render_class of one class job (what a helper process is handed)."""
    return render_class(job.division, job.pages)


def render_class(division: str, pages: tuple[AttestationPage, ...]) -> RenderedClass:
    """The class PDF (one page per student, in the order given) and each student's PDF cut out of it."""
    if not pages:
        return RenderedClass(division, None, {})
    class_pdf = render_pdf(pages)
    students = split_pages(class_pdf)
    if len(students) != len(pages):  # a page overflowing onto a second one would shift every later student
        raise RuntimeError(f"{division} : {len(students)} pages produites pour {len(pages)} attestations")
    return RenderedClass(division, class_pdf, {page.number: pdf for page, pdf in zip(pages, students)})


def split_pages(pdf: bytes) -> list[bytes]:
    """One single-page PDF per page of PDF.

    Measured on 30 pages: 70 ms with pypdf, against 1.1 s for WeasyPrint writing each laid-out page
    again (and 30 layouts otherwise): the class is laid out once, its pages are cut out.
    """
    from pypdf import PdfReader, PdfWriter

    singles = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        writer, buffer = PdfWriter(), io.BytesIO()
        writer.add_page(page)
        writer.write(buffer)
        singles.append(buffer.getvalue())
    return singles


_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*\s]+')


def safe_file_part(text: str, limit: int = 60) -> str:
    """TEXT usable in a file name on every file system: no separators, reserved or control characters."""
    cleaned = _UNSAFE.sub("_", unicodedata.normalize("NFC", text)).strip("._") or "_"
    return cleaned[:limit]


def class_file_name(division: str) -> str:
    return f"Attestations_Pix_{safe_file_part(division)}.pdf"


def student_file_path(page: AttestationPage) -> Path:
    """Relative path of the student's PDF: {division}/{NOM}_{Prénom}_{numero}.pdf."""
    name = f"{safe_file_part(page.last_name.upper())}_{safe_file_part(page.first_name)}_{page.number}.pdf"
    return Path(safe_file_part(page.division)) / name


# --- Incremental re-rendering: what is already on disk (the attestations table) against what should be


@dataclass(frozen=True)
class StoredAttestation:
    number: int
    content_hash: str
    path: str


@dataclass(frozen=True)
class ClassJob:
    """A class to render whole, and where its files go (absolute paths)."""

    division: str
    pages: tuple[AttestationPage, ...]
    class_path: Path
    student_paths: dict[int, Path]


@dataclass(frozen=True)
class RenderPlan:
    jobs: tuple[ClassJob, ...]
    unchanged: tuple[str, ...]  # divisions left as they are
    empty: tuple[str, ...]  # divisions asked for (or emptied) that have no validated student
    stale_numbers: tuple[int, ...]  # attestations whose certification is no longer validated (or moved)
    stale_files: tuple[Path, ...]  # their files, and class PDFs of emptied classes


def plan_renders(pages: list[AttestationPage], stored: dict[int, StoredAttestation], out_root: Path,
                 only_changed: bool, division: str | None = None) -> RenderPlan:
    """Which classes to render whole, and which files to remove; OUT_ROOT is absolute.

    A class is rendered when anything it shows is new or changed, or one of its students left it;
    previous files outside OUT_ROOT (another output folder) are left alone.
    """
    classes = group_by_division(pages)
    in_scope = [s for s in stored.values() if _under(out_root, s.path)
                and (division is None or Path(s.path).parent.name == safe_file_part(division))]
    targets = {p.number: str(out_root / student_file_path(p)) for p in pages}
    stale = [s for s in in_scope if targets.get(s.number) != s.path]
    touched_folders = {Path(s.path).parent.name for s in stale}
    jobs, unchanged = [], []
    for name, class_pages in classes.items():
        job = _class_job(name, class_pages, out_root)
        fresh = all(stored.get(p.number) == StoredAttestation(p.number, content_hash(p), targets[p.number])
                    for p in class_pages) and job.class_path.exists()
        if only_changed and fresh and safe_file_part(name) not in touched_folders:
            unchanged.append(name)
        else:
            jobs.append(job)
    live_folders = {safe_file_part(name) for name in classes}
    emptied = sorted(touched_folders - live_folders) + ([division] if division and not classes else [])
    stale_files = [Path(s.path) for s in stale] + [out_root / class_file_name(f) for f in set(emptied)]
    return RenderPlan(tuple(jobs), tuple(unchanged), tuple(dict.fromkeys(emptied)),
                      tuple(sorted(s.number for s in stale)), tuple(stale_files))


def _class_job(division: str, pages: tuple[AttestationPage, ...], out_root: Path) -> ClassJob:
    return ClassJob(division, pages, out_root / class_file_name(division),
                    {p.number: out_root / student_file_path(p) for p in pages})


def _under(root: Path, path: str) -> bool:
    return Path(path).parent.parent == root
