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

from transforms.bilan_charts import MISSING_COLOUR, Chart, level_colours, level_scale
from transforms.bilan_tables import (ACADEMIE_COLUMNS, ACADEMIE_GROUPS, BILAN_TABLES, CLASSES, CONCERNED_RULES,
                                     DEFINITIONS, DOMAINS_NOTE, FOLLOW_UP, PREVIOUS_NOTE, QUARTILES, QUARTILES_NOTE,
                                     MANY_CLASSES, SECRET_RULE, UNKNOWN_ATTENTION, Kind, TableSpec, means_rule,
                                     shown_quartiles)
from transforms.bilans import (ACADEMIE as ACADEMIE_ROW, ATTENTION_COUNTS, DEPARTEMENT_LEVEL, ESTABLISHMENT,
                               MIN_FOR_MEANS, MIN_GROUP, WITHHELD, AcademieSummary, Bilan,
                               previous_school_year)
from transforms.pdf_engine import html_class

TEMPLATES = Path(__file__).resolve().parent / "templates"
MISSING = "—"
# A table's width in characters of its 8.5 pt DejaVu Sans (1.8 mm each on average, as Chromium and WeasyPrint draw
# them): what its column widths are shared out of
TABLE_CHARACTERS = 100
TABLE_POINTS, SMALLEST_POINTS = 8.5, 7.0  # a table too wide for its words is set smaller, down to 7 pt
TEXT_COLUMN_CHARACTERS = 32  # a text column wider than this wraps (a competence's label on two lines at most)
BOLD = 1.12  # a bold character of the total row is this much wider (the headers' smaller bold ones are not)
PADDING = 1.6  # a cell's padding and border, in characters


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
    widths: tuple[str, ...] = ()  # each column's share of the table ("12.5%"), from its content
    points: float = TABLE_POINTS  # its type size: smaller when its words would not fit otherwise


@dataclass(frozen=True)
class HeatCell:
    text: str
    tone: str  # the class of its colours (HeatMap.tones)


@dataclass(frozen=True)
class HeatRow:
    division: str
    cells: tuple[HeatCell, ...]  # none when withheld
    withheld: bool  # fewer than MIN_FOR_MEANS validated: no means shown


@dataclass(frozen=True)
class HeatMap:
    """The class × competence means as a coloured table, one row per class, and the legend of its scale."""
    codes: tuple[str, ...]
    rows: tuple[HeatRow, ...]
    legend: tuple[HeatCell, ...]  # levels 0 to 8, the same in every bilan
    missing: str  # the tone of a cell nobody was evaluated in
    # (class, background, ink) of each tone the table and its legend use: one style rule each, not one per cell,
    # whose inline style WeasyPrint would parse again (a tenth of a bilan PDF's rendering time)
    tones: tuple[tuple[str, str, str], ...]


def render_bilan_html(bilan: Bilan, charts: list[Chart], made_on: date, pdf: str | None = None) -> str:
    """The establishment's page, with its follow-up list (names): for the establishment only. PDF: the name of the
    PDF printed from this very page, beside it, which the page links to; None: the page says how to get one."""
    tables = {spec.key: _shown(getattr(bilan, spec.key), spec) for spec in BILAN_TABLES}
    tables["global_levels"] = tables["global_levels"] if len(bilan.global_levels) else None
    tables["years"] = tables["years"] if len(bilan.years) > 1 else None
    for key in ("other_classes", "unmatched", "open_files", "without_results"):
        tables[key] = tables[key] if len(getattr(bilan, key)) else None
    total = bilan.classes[bilan.classes["division"] == ESTABLISHMENT].iloc[0]
    return _environment().get_template("bilan.html.j2").render(
        bilan=bilan, css=_css(), made_on=f"{made_on:%d/%m/%Y}", tables=tables, pdf=pdf,
        total={c.name: format_value(total[c.name], c.kind) for c in CLASSES.columns},
        charts={c.key: _embedded(c) for c in charts}, heat_map=_heat_map(bilan),
        follow_up_count=len(bilan.follow_up), reconciliation=bilan.reconciliation,
        concerned_rule=CONCERNED_RULES[bilan.concerned_by], min_for_means=MIN_FOR_MEANS,
        class_count=_class_count(bilan), folded=_class_count(bilan) > MANY_CLASSES,
        means_rule=means_rule(bilan.small_classes, "(« — »)"))


def _class_count(bilan: Bilan) -> int:
    return int((bilan.classes["division"] != ESTABLISHMENT).sum())


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
                         charts: Sequence[Chart] = (), pdf: str | None = None) -> str:
    """The académie summary's page, landscape: establishments × indicators grouped by département, the rule of
    small groups, the académie's quartiles and the charts; counts and means only, no student's name. PDF: the name
    of the PDF printed from this very page, beside it; None when there is none (the page says how to make it)."""
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
        charts=[_embedded(c) for c in charts], not_drawn=list(establishments.loc[~drawn, "uai"]), pdf=pdf)


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


def _shown(frame: pd.DataFrame, spec: TableSpec, sized: bool = True) -> ShownTable:
    totals = {ESTABLISHMENT, ACADEMIE_ROW}
    rows = tuple(Row(tuple(Cell(format_value(record[c.name], c.kind), c.kind != "text") for c in spec.columns),
                     record[spec.columns[0].name] in totals and spec is not FOLLOW_UP)
                 for record in frame.to_dict("records"))
    header = tuple(c.label for c in spec.columns)
    if not sized:
        return ShownTable(header, rows)
    return ShownTable(header, rows, *column_widths(header, rows, spec))


def column_widths(header: tuple[str, ...], rows: tuple[Row, ...], spec: TableSpec) -> tuple[tuple[str, ...], float]:
    """Each column's share of the table's width, from what it holds, and the table's type size: no header word
    nor number wider than its column (the type set smaller when they cannot all fit), then the room left to the
    text columns (a label on one or two lines).

    Measured in characters (DejaVu's digits are all one width, its letters about so): the page is laid out with a
    fixed table layout, which Chromium and WeasyPrint draw alike and WeasyPrint prints faster than an automatic
    one, so the widths are said here, not left to the browser.
    """
    needs, wishes = [], []
    for position, (label, column) in enumerate(zip(header, spec.columns)):
        texts = [(row.cells[position].text, BOLD if row.total else 1.0) for row in rows]
        word = max(len(w) for w in label.split(" "))  # a no-break space holds its words together
        if column.kind == "text":
            longest_word = max((max(map(len, t.split(" ")), default=0) * f for t, f in texts), default=0)
            longest = max((len(t) * f for t, f in texts), default=0)
            need = max(word, min(longest_word, TEXT_COLUMN_CHARACTERS))
            wish = max(need, min(longest, TEXT_COLUMN_CHARACTERS))
        else:
            need = wish = max([word, *(len(t) * f for t, f in texts)])
        needs.append(need + PADDING)
        wishes.append(wish + PADDING)
    widths = list(needs)
    spare = TABLE_CHARACTERS - sum(widths)
    wanted = sum(wishes) - sum(needs)
    if spare > 0 and wanted > 0:
        widths = [n + (w - n) * min(1.0, spare / wanted) for n, w in zip(needs, wishes)]
    points = max(SMALLEST_POINTS, min(TABLE_POINTS, round(TABLE_POINTS * TABLE_CHARACTERS / sum(needs), 1)))
    return tuple(f"{100 * w / sum(widths):.1f}%" for w in widths), points


def _heat_map(bilan: Bilan) -> HeatMap | None:
    heat_map = bilan.heat_map
    if heat_map.empty:
        return None
    backgrounds, inks = level_colours(heat_map.to_numpy(dtype=float))
    tones: dict[tuple[str, str], str] = {}

    def tone(background: str, ink: str) -> str:
        return tones.setdefault((str(background), str(ink)), f"tone-{len(tones)}")

    rows = []
    for (division, values), row_backgrounds, row_inks in zip(heat_map.iterrows(), backgrounds, inks):
        withheld = division in bilan.small_classes
        cells = () if withheld else tuple(HeatCell(format_value(v, "decimal"), tone(b, i))
                                          for v, b, i in zip(values, row_backgrounds, row_inks))
        rows.append(HeatRow(str(division), cells, withheld))
    legend = tuple(HeatCell(str(level), tone(b, i)) for level, b, i in level_scale())
    missing = tone(MISSING_COLOUR, "#000000")
    return HeatMap(tuple(heat_map.columns), tuple(rows), legend, missing,
                   tuple((name, background, ink) for (background, ink), name in tones.items()))


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
