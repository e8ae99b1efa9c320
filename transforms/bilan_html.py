"""The bilan as a page: a Bilan and its charts → one self-contained HTML file (style and SVG inlined), and its PDF.

Takes frames and charts; returns text or bytes (pure: the date of the bilan is passed in). WeasyPrint prints
the very same HTML, so the PDF and the page cannot say different things.
"""
from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from transforms.bilan_charts import Chart, heat_map_colours
from transforms.bilan_tables import (ACADEMIE_COLUMNS, ACADEMIE_GROUPS, BILAN_TABLES, CLASSES, DEFINITIONS,
                                     DOMAINS_NOTE, FOLLOW_UP, PREVIOUS_NOTE, QUARTILES, QUARTILES_NOTE, SECRET_RULE,
                                     UNKNOWN_ATTENTION, Kind, TableSpec, shown_quartiles)
from transforms.bilans import (ACADEMIE as ACADEMIE_ROW, ATTENTION_COUNTS, DEPARTEMENT_LEVEL, ESTABLISHMENT,
                               ESTABLISHMENT_LEVEL, MIN_GROUP, WITHHELD, AcademieSummary, Bilan,
                               previous_school_year)
from transforms.pdf_engine import html_class

TEMPLATES = Path(__file__).resolve().parent / "templates"
MISSING = "—"
CONCERNED_RULES = {
    "mef": "les divisions dont des élèves sont en 3e (SEGPA comprise) selon leur code MEF SIECLE.",
    "files": "les divisions qui ont un fichier de résultats Pix cette année (la liste SIECLE ne donne pas de MEF).",
}


@dataclass(frozen=True)
class Cell:
    text: str
    number: bool


@dataclass(frozen=True)
class Row:
    cells: tuple[Cell, ...]
    total: bool


@dataclass(frozen=True)
class ShownTable:
    header: tuple[str, ...]
    rows: tuple[Row, ...]


@dataclass(frozen=True)
class HeatCell:
    text: str
    background: str
    ink: str


@dataclass(frozen=True)
class HeatMap:
    """The class × competence means as a coloured table: one row (division, cells) per class."""
    codes: tuple[str, ...]
    rows: tuple[tuple[str, tuple[HeatCell, ...]], ...]
    top: str


def render_bilan_html(bilan: Bilan, charts: list[Chart], made_on: date) -> str:
    """The establishment's page, with its follow-up list (names): for the establishment only."""
    tables = {spec.key: _shown(getattr(bilan, spec.key), spec) for spec in BILAN_TABLES}
    tables["global_levels"] = tables["global_levels"] if len(bilan.global_levels) else None
    tables["years"] = tables["years"] if len(bilan.years) > 1 else None
    for key in ("other_classes", "unmatched", "open_files", "without_results"):
        tables[key] = tables[key] if len(getattr(bilan, key)) else None
    total = bilan.classes[bilan.classes["division"] == ESTABLISHMENT].iloc[0]
    return _environment().get_template("bilan.html.j2").render(
        bilan=bilan, css=_css(), made_on=f"{made_on:%d/%m/%Y}", tables=tables,
        total={c.name: format_value(total[c.name], c.kind) for c in CLASSES.columns},
        charts={c.key: _embedded(c) for c in charts}, heat_map=_heat_map(bilan.heat_map),
        follow_up_count=len(bilan.follow_up), reconciliation=bilan.reconciliation,
        concerned_rule=CONCERNED_RULES[bilan.concerned_by])


@dataclass(frozen=True)
class AcademieCell:
    text: str
    withheld: bool  # WITHHELD: the figure would describe fewer than 5 students


@dataclass(frozen=True)
class AcademieRow:
    level: str  # ESTABLISHMENT_LEVEL, DEPARTEMENT_LEVEL or ACADEMIE_LEVEL
    uai: str  # or the département's label, or ACADEMIE_ROW
    name: str
    cells: tuple[AcademieCell, ...]


@dataclass(frozen=True)
class AcademieSection:
    title: str | None  # the département, when the summary spans several
    rows: tuple[AcademieRow, ...]


def render_academie_html(summary: AcademieSummary, school_year: str, made_on: date,
                         charts: Sequence[Chart] = ()) -> str:
    """The académie summary's page, landscape: establishments × indicators grouped by département, the rule of
    small groups, the académie's quartiles and the charts; counts and means only, no student's name."""
    previous = previous_school_year(school_year)
    establishments = summary.establishments
    drawn = pd.to_numeric(establishments["rate_of_candidates"], errors="coerce").notna()
    return _environment().get_template("academie.html.j2").render(
        css=_css() + _academie_css(), school_year=school_year, previous_year=previous,
        made_on=f"{made_on:%d/%m/%Y}", count=len(establishments), departements=summary.departements,
        groups=[(g.title.format(previous=previous), len(g.columns)) for g in ACADEMIE_GROUPS],
        columns=[c.short for c in ACADEMIE_COLUMNS], sections=_academie_sections(summary),
        min_group=MIN_GROUP, notes={
            "secret": SECRET_RULE, "definitions": DEFINITIONS, "domains": DOMAINS_NOTE,
            "previous": PREVIOUS_NOTE.format(previous=previous), "unknown_attention": UNKNOWN_ATTENTION,
            "quartiles": QUARTILES_NOTE},
        unknown_attention=bool(establishments[list(ATTENTION_COUNTS)].isna().any(axis=None)),
        without_previous=int(establishments["previous_candidates"].isna().sum()),
        quartiles=_shown(shown_quartiles(summary.quartiles), QUARTILES),
        charts=[_embedded(c) for c in charts], not_drawn=list(establishments.loc[~drawn, "uai"]))


def _academie_sections(summary: AcademieSummary) -> list[AcademieSection]:
    """The table's rows in order, cut after each département's total when there are several; the académie's
    total a section of its own."""
    records = summary.table.to_dict("records")
    rows = [AcademieRow(r["level"], r["uai"], r["name"],
                        tuple(AcademieCell(_academie_text(r[c.name], c.kind), r[c.name] == WITHHELD)
                              for c in ACADEMIE_COLUMNS)) for r in records]
    *body, academie = rows
    if summary.departements == 1:
        return [AcademieSection(None, tuple(body)), AcademieSection(None, (academie,))]
    sections, current = [], []
    for record, row in zip(records, body):
        current.append(row)
        if row.level == DEPARTEMENT_LEVEL:
            sections.append(AcademieSection(record["departement_label"], tuple(current)))
            current = []
    return [*sections, AcademieSection(None, (academie,))]


def _academie_text(value, kind: Kind) -> str:
    # the rate columns say « (%) » in their group's header: a cell without the sign leaves room for 21 columns
    if kind == "percent" and not isinstance(value, str) and not pd.isna(value):
        return f"{value * 100:.1f}".replace(".", ",")
    return format_value(value, kind)


def render_pdf(html: str) -> bytes:
    """The page printed on A4 by WeasyPrint; the charts are the page's own SVG, nothing is fetched."""
    return html_class("bilan.user-agent.css")(string=html, base_url=str(TEMPLATES)).write_pdf()


def format_value(value, kind: Kind) -> str:
    """A value as French readers write it: 1 234 · 71,4 % · 2,2 · — when there is none."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return MISSING
    if kind == "percent":
        return f"{value * 100:.1f} %".replace(".", ",")
    if kind == "decimal":
        return f"{value:.1f}".replace(".", ",")
    if kind in ("count", "mixed"):
        return f"{int(value):,}".replace(",", "\u202f")
    return str(value)


def _shown(frame: pd.DataFrame, spec: TableSpec) -> ShownTable:
    totals = {ESTABLISHMENT, ACADEMIE_ROW}
    rows = tuple(Row(tuple(Cell(format_value(record[c.name], c.kind), c.kind != "text") for c in spec.columns),
                     record[spec.columns[0].name] in totals and spec is not FOLLOW_UP)
                 for record in frame.to_dict("records"))
    return ShownTable(tuple(c.label for c in spec.columns), rows)


def _heat_map(heat_map: pd.DataFrame) -> HeatMap | None:
    if heat_map.empty:
        return None
    colours, top = heat_map_colours(heat_map)
    rows = tuple((str(division), tuple(HeatCell(format_value(value, "decimal"), background, ink)
                                       for value, (background, ink) in zip(values, row_colours)))
                 for (division, values), row_colours in zip(heat_map.iterrows(), colours))
    return HeatMap(tuple(heat_map.columns), rows, format_value(top, "decimal"))


def _embedded(chart: Chart) -> dict:
    # an <img> of a data: URI, not inline <svg>: each chart keeps its own ids and styles, and the page needs
    # no network; the alt text says what it shows
    return {"key": chart.key, "title": chart.title, "alt": chart.alt,
            "data": base64.b64encode(chart.svg).decode("ascii")}


@cache
def _css() -> str:
    return (TEMPLATES / "bilan.css").read_text(encoding="utf-8")


@cache
def _academie_css() -> str:
    return (TEMPLATES / "academie.css").read_text(encoding="utf-8")


@cache
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)
