"""The bilan as a page: a Bilan and its charts → one self-contained HTML file (style and SVG inlined), and its PDF.

Takes frames and charts; returns text or bytes (pure: the date of the bilan is passed in). WeasyPrint prints
the very same HTML, so the PDF and the page cannot say different things.
"""
from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from transforms.bilan_charts import Chart, heat_map_colours
from transforms.bilan_tables import ACADEMIE, BILAN_TABLES, CLASSES, FOLLOW_UP, Kind, TableSpec
from transforms.bilans import ACADEMIE as ACADEMIE_ROW, ESTABLISHMENT, Bilan
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


def render_academie_html(summary: pd.DataFrame, school_year: str, made_on: date) -> str:
    """The académie summary's page: establishments × indicators, no names."""
    return _environment().get_template("academie.html.j2").render(
        css=_css(), school_year=school_year, made_on=f"{made_on:%d/%m/%Y}", count=len(summary) - 1,
        table=_shown(summary, ACADEMIE))


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
def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined,
                       trim_blocks=True, lstrip_blocks=True)
