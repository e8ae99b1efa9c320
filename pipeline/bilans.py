"""The bilans on disk: the reporting database → per establishment an HTML page, its PDF and a workbook, and for
several establishments the académie summary. Used by `pix-livret report`, the nightly flow and the demo.

The PDF is made on demand (`pix-livret report`), never by the nightly refresh: it costs five times the page and
the workbook together. A refresh that remakes a bilan removes its PDF, which no longer matches the data, and the
page then says how to get one; a page links to its PDF only when that PDF was printed from it.

Takes the database URL, an output folder and a school year; returns a BilansReport (UAIs, counts, paths; no names).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pandera.config import ValidationDepth, config_context

from pipeline.work_sharing import share_out_in_order
from store.class_files import read_year_files
from store.database import NOT_READY, connect, is_ready
from store.enrolments import read_enrolments
from store.query import (list_establishments, read_bilan_inputs_digest, read_certifications_of,
                         read_establishment_name)
from transforms.bilan_charts import draw_academie_charts, draw_bilan_charts
from transforms.bilan_html import render_academie_html, render_bilan_html, render_pdf
from transforms.bilan_xlsx import build_academie_workbook, build_bilan_workbook
from transforms.bilans import (Bilan, EmptyYearError, make_bilan, previous_school_year, summarise_academie,
                              summarise_establishment)
from pipeline.gc_policy import rare_collections
from transforms.private_files import write_private_file
from transforms.select_livret import school_year_bounds
from transforms.worded import WordedError

SUFFIXES = ("html", "pdf", "xlsx")
DIGEST_FILE = ".donnees.sha256"  # beside the bilan: the digest of the data it was made from
SUMMARY_FILE = ".synthese.json"  # beside the bilan: its line of the académie summary (counts and means, no names)
ACADEMIE_FOLDER = "academie"


class BilanError(WordedError):
    """No bilan can be made as asked (French message for the administrator); nothing was written."""


@dataclass(frozen=True)
class EstablishmentBilan:
    """What was written for one establishment. headline: the per-class counts and rates (no names)."""

    uai: str
    paths: tuple[str, ...]
    summary: dict
    headline: tuple[dict, ...]


@dataclass(frozen=True)
class BilansReport:
    school_year: str
    written: tuple[EstablishmentBilan, ...] = ()
    empty: tuple[str, ...] = ()  # establishments without a certification that year: no bilan
    unchanged: tuple[str, ...] = ()  # nightly refresh: data as at the last bilan, left as it was
    academie: tuple[str, ...] = ()  # the académie summary's files

    def asstr(self) -> str:
        lines = [f"Bilans Pix {self.school_year} : {len(self.written)} établissement(s)."]
        lines += [f"- {b.uai} : {Path(b.paths[0]).parent}" for b in self.written]
        if self.empty:
            lines.append(f"Sans certification cette année (pas de bilan) : {', '.join(self.empty)}")
        if self.academie:
            lines.append(f"Synthèse académique : {Path(self.academie[0]).parent}")
        return "\n".join(lines)


def bilan_folder(out_root: Path, uai: str, school_year: str) -> Path:
    return out_root / "bilans" / uai / school_year


def summary_line_path(out_root: Path, uai: str, school_year: str) -> Path:
    return bilan_folder(out_root, uai, school_year) / SUMMARY_FILE


def academie_paths(out_root: Path, school_year: str) -> tuple[Path, ...]:
    folder = out_root / "bilans" / ACADEMIE_FOLDER / school_year
    return tuple(folder / f"Bilan_Pix_academie_{school_year}.{suffix}" for suffix in SUFFIXES)


def bilan_paths(out_root: Path, uai: str, school_year: str) -> tuple[Path, ...]:
    """The page, its PDF and the workbook (SUFFIXES' order)."""
    folder = bilan_folder(out_root, uai, school_year)
    return tuple(folder / f"Bilan_Pix_{uai}_{school_year}.{suffix}" for suffix in SUFFIXES)


def nightly_paths(out_root: Path, uai: str, school_year: str) -> tuple[Path, ...]:
    """What the nightly refresh keeps current: the page and the workbook, not the PDF."""
    page, _, workbook = bilan_paths(out_root, uai, school_year)
    return page, workbook


def make_bilans(database_url: str, out_root: Path, school_year: str, uai: str | None, made_on: date, *,
                workers: int) -> BilansReport:
    """The bilan of UAI, or of every establishment plus the académie summary when there are several.

    BilanError (nothing written) for a database not ready, a malformed year, an unknown UAI, or a year without
    any certification (for UAI, or for every establishment).
    """
    targets = choose_targets(database_url, school_year, uai)
    made = _each_establishment(database_url, [(u, school_year) for u in targets], out_root, made_on, True, workers)
    written = tuple(b for b in made if b is not None)
    empty = tuple(u for u, b in zip(targets, made) if b is None)
    if not written:
        whom = f"l'établissement {uai}" if uai else "aucun établissement de la base"
        raise BilanError(f"Aucune certification Pix en {school_year} pour {whom} : pas de bilan.")
    academie = ()
    if uai is None and len(targets) > 1:
        academie = write_academie_summary(out_root, school_year, [b.summary for b in written], made_on)
    return BilansReport(school_year, written, empty, academie=academie)


def refresh_bilans(database_url: str, out_root: Path, years: dict[str, str], made_on: date, *,
                   workers: int) -> BilansReport:
    """The bilan of each UAI of YEARS (UAI → its school year) whose data changed since its bilan was made.

    Whether it changed is one query per establishment (a digest, kept beside the bilan): an unchanged night
    renders nothing, and leaves the PDF `pix-livret report` made; a remade bilan has none (see the module).
    """
    digests = {}
    with connect(database_url, write=False) as connection:
        for uai, school_year in years.items():
            digests[uai] = _data_digest(connection, uai, school_year)
    due = [uai for uai, school_year in years.items()
           # the académie summary is read from the summary lines beside the bilans: a bilan without one is made again
           if not _is_current(bilan_folder(out_root, uai, school_year) / DIGEST_FILE, digests[uai],
                              (*nightly_paths(out_root, uai, school_year),
                               summary_line_path(out_root, uai, school_year)))]
    made = _each_establishment(database_url, [(u, years[u]) for u in due], out_root, made_on, False, workers)
    remade = {years[b.uai] for b in made if b is not None}
    academie = tuple(path for school_year in sorted(set(years.values()))
                     for path in refresh_academie_summary(out_root, school_year, made_on, school_year in remade))
    return BilansReport(", ".join(sorted(set(years.values()))), tuple(b for b in made if b is not None),
                        tuple(u for u, b in zip(due, made) if b is None), tuple(u for u in years if u not in due),
                        academie)


def refresh_academie_summary(out_root: Path, school_year: str, made_on: date, changed: bool) -> tuple[str, ...]:
    """The académie summary of SCHOOL_YEAR made again from the lines its establishments' bilans left beside them
    (SUMMARY_FILE), when a bilan of that year was just remade (CHANGED), the summary is missing, or a line of that
    year or of the year before (its « année précédente » column) is newer than it; only where there are bilans of
    at least two establishments. Their data is that of each bilan as last made: `pix-livret report` makes all of
    them again from the database, and the PDF, which this refresh does not make (~2 s, WeasyPrint's import included).
    """
    rows = read_summary_lines(out_root, school_year)
    if len(rows) < 2:
        return ()
    page = academie_paths(out_root, school_year)[0]
    if changed or not page.exists() or _newer_lines(out_root, (school_year, previous_school_year(school_year)),
                                                    page.stat().st_mtime_ns):
        return write_academie_summary(out_root, school_year, rows, made_on, pdf=False)
    return ()


def read_summary_lines(out_root: Path, school_year: str) -> list[dict]:
    """The académie summary's lines of SCHOOL_YEAR kept beside the establishments' bilans, by UAI (none when no
    bilan of that year was made)."""
    lines = []
    for path in _summary_line_paths(out_root, school_year):
        # a mean of nobody was NaN, written null
        line = {k: math.nan if v is None else v for k, v in json.loads(path.read_text("utf-8")).items()}
        if line.setdefault("school_year", school_year) != school_year:  # an older line does not say its year
            raise ValueError(f"{path} holds the line of {line['school_year']}, not of {school_year}")
        lines.append(line)
    return lines


def _summary_line_paths(out_root: Path, school_year: str) -> list[Path]:
    return sorted((out_root / "bilans").glob(f"*/{school_year}/{SUMMARY_FILE}"))


def _newer_lines(out_root: Path, school_years: tuple[str, ...], than_ns: int) -> bool:
    return any(path.stat().st_mtime_ns > than_ns for year in school_years for path in _summary_line_paths(out_root, year))


def choose_targets(database_url: str, school_year: str, uai: str | None) -> list[str]:
    """The UAIs to make bilans of; BilanError when the request cannot be met."""
    try:
        school_year_bounds(school_year)
    except ValueError as error:  # already French
        raise BilanError(str(error)) from None
    if not is_ready(database_url):
        raise BilanError(NOT_READY)
    with connect(database_url, write=False) as connection:
        known = list_establishments(connection)
    if uai is not None and uai not in known:
        raise BilanError(f"Établissement inconnu dans la base : {uai}.")
    if not known:
        raise BilanError("Aucun établissement dans la base : lancez d'abord « pix-livret ingest ».")
    return [uai] if uai is not None else known


def write_establishment_bilan(database_url: str, uai: str, school_year: str, out_root: Path, made_on: date,
                              pdf: bool = True) -> EstablishmentBilan | None:
    """Reads, computes, draws, renders and writes UAI's bilan (mode 0640), its PDF when PDF (else removes the one
    left by an earlier bilan), its summary line and the digest of the data it was made from; None when the year
    has no certification."""
    return write_establishment_bilans(database_url, (uai,), school_year, out_root, made_on, pdf)[0]


def write_establishment_bilans(database_url: str, uais: tuple[str, ...], school_year: str, out_root: Path,
                               made_on: date, pdf: bool = True) -> list[EstablishmentBilan | None]:
    """write_establishment_bilan of each of UAIS, their data read together (read_bilan_inputs)."""
    with connect(database_url, write=False) as connection:
        # read before the data: a change made meanwhile leaves the bilan due at the next refresh
        digests = [_data_digest(connection, uai, school_year) for uai in uais]
        inputs = read_bilan_inputs(connection, uais, school_year)
    written = []
    for uai, digest in zip(uais, digests):
        try:
            bilan = make_bilan(*inputs.pop(uai))  # popped: each establishment's rows freed once its bilan is made
        except EmptyYearError:
            written.append(None)
            continue
        written.append(_write_bilan_files(bilan, digest, out_root, made_on, pdf))
    return written


def _write_bilan_files(bilan: Bilan, digest: str, out_root: Path, made_on: date, pdf: bool) -> EstablishmentBilan:
    uai, school_year = bilan.uai, bilan.school_year
    page, pdf_path, workbook = bilan_paths(out_root, uai, school_year)
    if not pdf:  # gone before the new page is written: no reader ever holds a PDF older than the page
        pdf_path.unlink(missing_ok=True)
    with rare_collections():
        html = render_bilan_html(bilan, draw_bilan_charts(bilan), made_on, pdf_path.name if pdf else None)
        contents = {page: html.encode("utf-8"), workbook: build_bilan_workbook(bilan, made_on)}
        if pdf:
            contents[pdf_path] = render_pdf(html)
    for path, content in contents.items():
        write_private_file(path, content)
    summary = summarise_establishment(bilan)
    write_private_file(summary_line_path(out_root, uai, school_year),
                       json.dumps(_plain(summary), ensure_ascii=False).encode())
    write_private_file(bilan_folder(out_root, uai, school_year) / DIGEST_FILE, digest.encode())
    paths = tuple(str(p) for p in (page, pdf_path, workbook) if p in contents)
    return EstablishmentBilan(uai, paths, summary, tuple(bilan.headline()))


def read_bilan(connection, uai: str, school_year: str) -> Bilan:
    """UAI's bilan of SCHOOL_YEAR from that year's data; EmptyYearError when it has no certification then."""
    return make_bilan(*read_bilan_inputs(connection, (uai,), school_year)[uai])


def read_bilan_inputs(connection, uais: tuple[str, ...], school_year: str) -> dict[str, tuple]:
    """make_bilan's arguments for each of UAIS in SCHOOL_YEAR: its certifications with each student's class that
    year, its enrolment, its class files and their rows set aside.

    The rows come from the database, whose every value was checked when loaded: pandera checks their columns and
    types again here, not each value (a third of a bilan's CPU), and once for all of UAIS (a frame's check costs
    nearly the same whatever its length)."""
    with config_context(validation_depth=ValidationDepth.SCHEMA_ONLY):
        stored = read_certifications_of(connection, uais, school_year)
        enrolments = read_enrolments(connection, uais, int(school_year[:4]))
    return {uai: (stored[uai], enrolments[uai], school_year, uai, read_establishment_name(connection, uai),
                  *read_year_files(connection, uai, school_year)) for uai in uais}


def write_academie_summary(out_root: Path, school_year: str, rows: list[dict], made_on: date,
                           pdf: bool = True) -> tuple[str, ...]:
    """The académie summary (establishments × indicators, no names) as HTML, XLSX and, when PDF, its PDF (else the
    one left by an earlier summary is removed: the nightly's refresh makes none, as for the bilans), with each
    establishment's previous year from the lines its bilans of that year left, where they were made."""
    summary = summarise_academie(rows, read_summary_lines(out_root, previous_school_year(school_year)))
    page, pdf_path, workbook = academie_paths(out_root, school_year)
    if not pdf:
        pdf_path.unlink(missing_ok=True)
    with rare_collections():
        html = render_academie_html(summary, school_year, made_on, draw_academie_charts(summary),
                                    pdf_path.name if pdf else None)
        contents = {page: html.encode("utf-8"), workbook: build_academie_workbook(summary, school_year)}
        if pdf:
            contents[pdf_path] = render_pdf(html)
    return tuple(str(write_private_file(path, content)) for path, content in contents.items())


def _plain(row: dict) -> dict:
    """ROW's numbers as JSON writes them (numpy's as Python's, NaN as null)."""
    plain = {}
    for key, value in row.items():
        if hasattr(value, "item"):  # a numpy scalar
            value = value.item()
        plain[key] = None if isinstance(value, float) and math.isnan(value) else value
    return plain


def _data_digest(connection, uai: str, school_year: str) -> str:
    return f"{read_bilan_inputs_digest(connection, uai)} {school_year}"


def _is_current(digest_path: Path, digest: str, paths: tuple[Path, ...]) -> bool:
    try:
        return digest_path.read_text() == digest and all(p.exists() for p in paths)
    except OSError:
        return False


BATCH = 8  # establishments read together at most (read_bilan_inputs)


def _each_establishment(database_url: str, targets: list[tuple[str, str]], out_root: Path, made_on: date, pdf: bool,
                        workers: int) -> list[EstablishmentBilan | None]:
    """write_establishment_bilans over TARGETS ((UAI, school year) pairs), results in their order; on WORKERS
    processes (this one included) when there is more than one batch. Processes, not threads: pandas and WeasyPrint
    hold the GIL."""
    by_year: dict[str, list[str]] = {}
    for uai, school_year in targets:
        by_year.setdefault(school_year, []).append(uai)
    items = [(database_url, batch, school_year, out_root, made_on, pdf)
             for school_year, uais in by_year.items() for batch in batches(uais, workers)]
    made = {uai: bilan for item, bilans in zip(items, share_out_in_order(items, _write_bilans, workers))
            for uai, bilan in zip(item[1], bilans)}
    return [made[uai] for uai, _ in targets]


def batches(uais: list[str], workers: int) -> list[tuple[str, ...]]:
    """UAIS cut into batches read together: up to BATCH while there is plenty left for every process, then smaller
    and smaller, down to one, so that at the end no process still has a long batch while the others wait."""
    cut, start = [], 0
    while start < len(uais):
        size = max(1, min(BATCH, (len(uais) - start) // (2 * max(workers, 1))))
        cut.append(tuple(uais[start:start + size]))
        start += size
    return cut


def _write_bilans(arguments: tuple) -> list[EstablishmentBilan | None]:
    return write_establishment_bilans(*arguments)
