"""The bilan's charts: its frames (transforms/bilans.py) → SVG documents: the establishment's written here (bars,
lines and text), the académie summary's drawn offline by matplotlib.

Takes a Bilan; returns Charts (title, text alternative, SVG bytes), for the HTML page and the PDF alike.
"""
from __future__ import annotations

import functools
import html
import io
import textwrap
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from schemas.referential import MAX_LEVEL
from transforms.bilan_tables import CLASSES, MANY_CLASSES
from transforms.bilans import (CANCELLED_OR_ERROR, ESTABLISHMENT, NOT_OBTAINED, VALIDATED, AcademieSummary,
                               Bilan)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# matplotlib (~0.4 s to import) is imported where a colour table or the académie's chart is made, not with this
# module: the nightly command imports the bilans with its flow, before its first file is read

# cividis: ordered in lightness, so its colours stay apart in grey print, and made for colour-blind readers
PALETTE = "cividis"
MISSING_COLOUR = "#d9d9d9"
STYLE = {
    "svg.fonttype": "none",  # text stays text: smaller files, selectable, drawn in the page's font
    "font.family": "DejaVu Sans",  # the font the project already installs (fonts-dejavu-core)
    "font.size": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def _styled(draw):
    """DRAW run inside the bilan's style: matplotlib reads most settings when an axis or a text is made."""
    @functools.wraps(draw)
    def styled(*args, **kwargs):
        import matplotlib

        with matplotlib.rc_context(STYLE):
            return draw(*args, **kwargs)
    return styled


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    alt: str  # what the chart shows, in words, for screen readers and when images are off
    svg: bytes


def draw_bilan_charts(bilan: Bilan) -> list[Chart]:
    """Every chart of the bilan, in the order of the page; those with nothing to show are left out.

    Beyond MANY_CLASSES classes the per-class charts are left out: a bar per class of thousands of classes reads
    as nothing and costs the page its load time; the per-class figures stay in the tables and the workbook.
    """
    per_class = (bilan.classes["division"] != ESTABLISHMENT).sum() <= MANY_CLASSES
    charts = [draw_outcomes(bilan.classes) if per_class else None,
              draw_score_histograms(bilan.histogram) if per_class else None,
              draw_global_levels(bilan.global_levels), draw_competences(bilan.competences),
              draw_domains(bilan.domains), draw_years(bilan.years)]
    return [chart for chart in charts if chart is not None]


def draw_outcomes(classes: pd.DataFrame) -> Chart:
    """Per class, candidates by outcome, results set aside and absents, stacked."""
    rows = classes[classes["division"] != ESTABLISHMENT]
    labels = {c.name: c.label for c in CLASSES.columns}  # the table's words
    parts = (VALIDATED, NOT_OBTAINED, CANCELLED_OR_ERROR, "set_aside", "absents")
    colours = _colours(len(parts))
    values = rows[list(parts)].to_numpy(dtype=float)
    bars = [(str(d), [(v, c) for v, c in zip(row, colours)], "") for d, row in zip(rows["division"], values)]
    svg = _horizontal_bars(bars, max(values.sum(axis=1).max(initial=0), 1), "Élèves",
                           legend=[(labels[p], c) for p, c in zip(parts, colours)])
    return Chart("outcomes", "Résultats par classe",
                 "Barres empilées par classe : validées, non obtenues, annulées, en erreur ou non terminées, "
                 "résultats écartés, absents.", svg)


def draw_score_histograms(histogram: pd.DataFrame) -> Chart | None:
    """One histogram of the validated scores per class, one row each, all on the same scale."""
    if histogram.empty:
        return None
    divisions = list(dict.fromkeys(histogram["division"]))
    top = max(int(histogram["n"].max()), 1)
    high = int(histogram["bin_end"].max())
    labels = [f"{d} (n = {int(histogram.loc[histogram['division'] == d, 'n'].sum())})" for d in divisions]
    left = _label_room(labels)
    width, row_height = CHART_WIDTH - left - RIGHT, 28
    height = TOP + row_height * len(divisions) + AXIS
    body = []
    colour = _colours(3)[1]
    for row, (division, label) in enumerate(zip(divisions, labels)):
        bins = histogram[histogram["division"] == division]
        base = TOP + row_height * (row + 1)
        # one filled outline per class, not a rectangle per bin: fewer shapes to draw, here and in the PDF
        points = [f"{left:.1f},{base}"]
        for start, end, n in zip(bins["bin_start"], bins["bin_end"], bins["n"]):
            y = base - n / top * row_height * 0.85
            points += [f"{left + start / high * width:.1f},{y:.1f}", f"{left + end / high * width:.1f},{y:.1f}"]
        points.append(f"{left + width:.1f},{base}")
        body.append(f'<line x1="{left}" x2="{left + width}" y1="{base}" y2="{base}" stroke="#bbbbbb" '
                    'stroke-width="0.5"/>')
        body.append(f'<polygon points="{" ".join(points)}" fill="{colour}"/>')
        body.append(_text(left - 4, base - row_height / 2 + 4, label, "end"))
    body += _x_axis(left, width, TOP + row_height * len(divisions), high,
                    f"Score (Pix) ; la plus haute barre : {top} élève(s)", step=_nice_step(high))
    return Chart("histograms", "Scores des certifications validées, par classe",
                 "Histogrammes des scores des certifications validées, une ligne par classe, tranches de 64 Pix, "
                 "toutes à la même échelle.", _svg(CHART_WIDTH, height, body))


def draw_global_levels(levels: pd.DataFrame) -> Chart | None:
    if levels.empty:
        return None
    colours = _colours(len(levels))
    bars = [(str(level), [(float(n), c)], str(int(n))) for level, n, c in zip(levels["level"], levels["n"], colours)]
    return Chart("levels", "Niveaux globaux (exports v3)",
                 "Nombre de certifications validées par niveau global, de Novice 1 à Expert 2.",
                 _horizontal_bars(bars, max(float(levels["n"].max()), 1), "Certifications validées"))


def draw_competences(competences: pd.DataFrame) -> Chart:
    """Mean level per competence; a competence nobody was evaluated on is named, without a bar."""
    domain_colours = _colours(5)
    means = competences["mean"].to_numpy(dtype=float)
    bars = [(f"{r.code} {_shortened(r.label)}", [] if np.isnan(mean) else [(mean, domain_colours[int(r.domain) - 1])],
             "non évaluée" if np.isnan(mean) else f"{mean:.1f}".replace(".", ","))
            for r, mean in zip(competences.itertuples(), means)]
    high = max(4.0, np.nanmax(means) + 0.8) if not np.isnan(means).all() else 4.0
    return Chart("competences", "Niveau moyen par compétence",
                 "Barres horizontales : niveau moyen des candidats évalués pour chacune des 16 compétences, "
                 "colorées par domaine.", _horizontal_bars(bars, high, "Niveau moyen des évalués (0 à 8)", step=1))


def draw_domains(domains: pd.DataFrame) -> Chart:
    """Per domain, the shares of evaluated levels at 1 or more, 2 or more, 3 or more."""
    shares = [("share_ge_1", "niveau ≥ 1"), ("share_ge_2", "niveau ≥ 2"), ("share_ge_3", "niveau ≥ 3")]
    colours = _colours(3)
    left, plot_height = 50, 150
    width = CHART_WIDTH - left - RIGHT
    body = _legend([(label, c) for (_, label), c in zip(shares, colours)], left)
    base = LEGEND + plot_height
    body += _y_axis(left, width, base, plot_height, 100, "% des niveaux évalués")
    group = width / max(len(domains), 1)
    for position, domain in enumerate(domains.itertuples()):
        centre = left + group * (position + 0.5)
        for offset, ((column, _), colour) in enumerate(zip(shares, colours)):
            value = getattr(domain, column)
            value = 0.0 if pd.isna(value) else float(value) * 100
            bar = value / 100 * plot_height
            body.append(f'<rect x="{centre + (offset - 1.5) * group * 0.27:.1f}" y="{base - bar:.1f}" '
                        f'width="{group * 0.27:.1f}" height="{bar:.1f}" fill="{colour}"/>')
        # two short lines per domain: five labels side by side
        for line, words in enumerate(textwrap.wrap(f"{domain.code}. {domain.label}", 18)[:2]):
            body.append(_text(centre, base + 14 + 12 * line, words, "middle"))
    return Chart("domains", "Niveaux atteints par domaine",
                 "Barres groupées par domaine : part des niveaux évalués à 1 ou plus, 2 ou plus, 3 ou plus.",
                 _svg(CHART_WIDTH, base + 40, body))


def level_colours(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean levels → their (background, ink) in hex, on the one scale of every bilan: 0 to MAX_LEVEL on the palette.

    The scale is the level's, not the bilan's: the same mean has the same colour in every school's bilan and in
    every year's, so two bilans side by side compare by colour. A value is coloured as it is written (rounded to
    0.1): two cells that read the same look the same. NaN (nobody evaluated) is MISSING_COLOUR.
    """
    # looked up among the 81 values a cell can show (and NaN, last), not computed per cell: 2,000 classes × 16
    # competences took seconds
    shown = np.round(np.clip(np.asarray(values, dtype=float), 0, MAX_LEVEL), 1)
    position = np.where(np.isnan(shown), -1, np.rint(np.nan_to_num(shown * 10)).astype(int))
    backgrounds, inks = _level_table()
    return backgrounds[position], inks[position]


@functools.cache
def _level_table() -> tuple[np.ndarray, np.ndarray]:
    """The (background, ink) of each level 0.0, 0.1 … MAX_LEVEL, then of NaN."""
    import matplotlib

    levels = np.append(np.arange(MAX_LEVEL * 10 + 1) / 10, np.nan)
    rgba = matplotlib.colormaps[PALETTE].with_extremes(bad=MISSING_COLOUR)(np.ma.masked_invalid(levels / MAX_LEVEL))
    backgrounds = np.array([matplotlib.colors.to_hex(colour) for colour in rgba])
    # the ink that reads best on each background (WCAG contrast): light on the dark end, dark on the light end
    linear = np.where(rgba[..., :3] <= 0.04045, rgba[..., :3] / 12.92, ((rgba[..., :3] + 0.055) / 1.055) ** 2.4)
    luminance = linear @ np.array([0.2126, 0.7152, 0.0722])
    inks = np.where((luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05), "#000000", "#ffffff")
    return backgrounds, inks


def level_scale() -> list[tuple[int, str, str]]:
    """The legend of the heat map: each whole level 0 to MAX_LEVEL with its (background, ink)."""
    levels = np.arange(MAX_LEVEL + 1, dtype=float)
    backgrounds, inks = level_colours(levels)
    return [(int(level), str(b), str(i)) for level, b, i in zip(levels, backgrounds, inks)]


def draw_years(years: pd.DataFrame) -> Chart | None:
    if len(years) < 2:
        return None
    left, plot_height, top = 50, 150, 12
    width = CHART_WIDTH - left - RIGHT
    base = top + plot_height
    body = _y_axis(left, width, base, plot_height, 100, "Validées / candidats (%)")
    step = width / len(years)
    points = []
    for position, (year, rate) in enumerate(zip(years["school_year"], years["rate"])):
        x = left + step * (position + 0.5)
        body.append(_text(x, base + 14, str(year), "middle"))
        if not pd.isna(rate):
            points.append((x, base - float(rate) * plot_height))
    colour = _colours(3)[0]
    body.append(f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}" fill="none" '
                f'stroke="{colour}" stroke-width="1.5"/>')
    body += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>' for x, y in points]
    return Chart("years", "Évolution d'une année sur l'autre",
                 "Courbe du taux de certifications validées parmi les candidats, par année scolaire.",
                 _svg(CHART_WIDTH, base + 24, body))


# The establishment's charts are SVG written here, not drawn by matplotlib: a few bars and labels, where matplotlib
# spent 0.7 s of CPU on an establishment of 30 classes (ticks, text layout, its SVG backend). Sizes in CSS pixels.
CHART_WIDTH, RIGHT, TOP, AXIS, LEGEND = 680, 24, 8, 34, 44
ROW = 18  # a bar's row
CHARACTER = 6.6  # a DejaVu Sans character of FONT px, on average
FONT = 11


def _svg(width: float, height: float, body: list[str]) -> bytes:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
            f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans, sans-serif" font-size="{FONT}">'
            + "".join(body) + "</svg>").encode("utf-8")


def _text(x: float, y: float, text: str, anchor: str = "start", size: float | None = None) -> str:
    # the text comes from the input (class names): escaped, as everything else on the page
    sized = f' font-size="{size}"' if size else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{sized}>{html.escape(text)}</text>'


def _label_room(labels: list[str]) -> float:
    return min(270.0, 10 + CHARACTER * max((len(label) for label in labels), default=4))


def _legend(items: list[tuple[str, str]], left: float) -> list[str]:
    """Swatches and their words, three a line, above the plot (LEGEND px)."""
    body = []
    for position, (label, colour) in enumerate(items):
        x, y = left + (position % 3) * 200, 8 + (position // 3) * 16
        body.append(f'<rect x="{x:.1f}" y="{y}" width="10" height="10" fill="{colour}"/>')
        body.append(_text(x + 14, y + 9, label))
    return body


def _horizontal_bars(bars: list[tuple[str, list[tuple[float, str]], str]], high: float, axis_label: str, *,
                     legend: list[tuple[str, str]] = (), step: float | None = None) -> bytes:
    """One row per (label, stacked segments (value, colour), note written after the bar), first row at the top,
    on a scale of 0 to HIGH."""
    left = _label_room([label for label, _, _ in bars])
    width = CHART_WIDTH - left - RIGHT
    top = LEGEND if legend else TOP
    body = _legend(list(legend), left) if legend else []
    for row, (label, segments, note) in enumerate(bars):
        y, x = top + ROW * row, left
        for value, colour in segments:
            length = value / high * width
            if length > 0:
                body.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{length:.1f}" height="{ROW - 4}" fill="{colour}" '
                            'stroke="white" stroke-width="0.5"/>')
            x += length
        body.append(_text(left - 4, y + ROW / 2 + 4, label, "end"))
        if note:
            body.append(_text(x + 4, y + ROW / 2 + 4, note, size=FONT - 1))
    body += _x_axis(left, width, top + ROW * len(bars), high, axis_label, step=step or _nice_step(high))
    return _svg(CHART_WIDTH, top + ROW * len(bars) + AXIS, body)


def _x_axis(left: float, width: float, y: float, high: float, label: str, *, step: float) -> list[str]:
    body = [f'<line x1="{left}" x2="{left + width:.1f}" y1="{y}" y2="{y}" stroke="#333333" stroke-width="0.8"/>']
    tick = 0.0
    while tick <= high + 1e-9:
        x = left + tick / high * width
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + 3}" stroke="#333333" stroke-width="0.8"/>')
        body.append(_text(x, y + 14, _tick(tick), "middle", FONT - 1))
        tick += step
    body.append(_text(left + width / 2, y + 28, label, "middle"))
    return body


def _y_axis(left: float, width: float, base: float, height: float, high: float, label: str) -> list[str]:
    body = []
    for tick in range(0, int(high) + 1, 20):
        y = base - tick / high * height
        body.append(f'<line x1="{left}" x2="{left + width:.1f}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dddddd" '
                    'stroke-width="0.5"/>')
        body.append(_text(left - 4, y + 4, str(tick), "end", FONT - 1))
    body.append(f'<line x1="{left}" x2="{left}" y1="{base - height}" y2="{base}" stroke="#333333" stroke-width="0.8"/>')
    body.append(f'<text x="12" y="{base - height / 2:.1f}" text-anchor="middle" '
                f'transform="rotate(-90 12 {base - height / 2:.1f})">{html.escape(label)}</text>')
    return body


def _nice_step(high: float, smallest: float = 0.0) -> float:
    """The smallest round step (1, 2, 2.5 or 5 × 10ⁿ, at least SMALLEST) giving at most 8 ticks from 0 to HIGH."""
    magnitude = 10.0 ** np.floor(np.log10(max(high, 1e-9) / 8))
    return next(step for step in (m * magnitude * scale for scale in (1, 10) for m in (1, 2, 2.5, 5))
                if step >= smallest and high / step <= 8)


def _tick(value: float) -> str:
    return f"{value:g}".replace(".", ",")


ROWS_PER_CHART = 25  # establishments per académie chart: 25 rows and the section's title fill a landscape A4 page


def draw_academie_charts(summary: AcademieSummary) -> list[Chart]:
    """Each establishment's rate of validated among candidates and mean score against the académie's quartiles,
    best rate first, ROWS_PER_CHART establishments a chart; those whose rate is withheld (fewer than 5
    candidates) are not drawn. None when no establishment's rate is shown."""
    rows = summary.establishments.assign(
        rate=lambda f: pd.to_numeric(f["rate_of_candidates"], errors="coerce"),
        score=lambda f: pd.to_numeric(f["mean_score"], errors="coerce"),
        previous=lambda f: pd.to_numeric(f["previous_rate"], errors="coerce"),
        previous_score=lambda f: pd.to_numeric(f["previous_mean_score"], errors="coerce"))
    rows = rows[rows["rate"].notna()].sort_values(["rate", "score", "uai"], ascending=[False, False, True],
                                                  na_position="last")
    quartiles = summary.quartiles.set_index("indicator")
    chunks = [rows.iloc[start:start + ROWS_PER_CHART] for start in range(0, len(rows), ROWS_PER_CHART)]
    return [_draw_academie_chunk(chunk, quartiles, number, len(chunks), len(rows))
            for number, chunk in enumerate(chunks, start=1)]


@_styled
def _draw_academie_chunk(rows: pd.DataFrame, quartiles: pd.DataFrame, number: int, chunks: int,
                         total: int) -> Chart:
    import matplotlib
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10.4, 0.95 + 0.19 * len(rows)))
    figure.subplots_adjust(left=2.6 / 10.4, right=1 - 0.15 / 10.4, bottom=0.4 / figure.get_figheight(),
                           top=1 - 0.55 / figure.get_figheight(), wspace=0.08)
    rate_axes, score_axes = figure.subplots(1, 2, sharey=True)
    positions = np.arange(len(rows))[::-1]  # the best rate at the top
    current, previous, band = (matplotlib.colormaps[PALETTE](x) for x in (0.05, 0.55, 0.95))
    scores = pd.concat([rows["score"], rows["previous_score"], quartiles.loc["mean_score", ["q1", "q3"]]]).dropna()
    low = max(0.0, np.floor((scores.min() - 40) / 100) * 100) if len(scores) else 0.0
    high = np.ceil((scores.max() + 40) / 100) * 100 if len(scores) else 1000.0
    for axes, now, before, indicator, factor, limits in (
            (rate_axes, rows["rate"], rows["previous"], "rate_of_candidates", 100, (0, 102)),
            (score_axes, rows["score"], rows["previous_score"], "mean_score", 1, (low, high))):
        q1, median, q3 = (quartiles.loc[indicator, q] * factor for q in ("q1", "median", "q3"))
        if not np.isnan(median):  # every mean score withheld: no quartiles of them
            axes.axvspan(q1, q3, color=band, alpha=0.6, linewidth=0, label="Du 1er au 3e quartile de l'académie")
            axes.axvline(median, color="#444444", linestyle="--", linewidth=0.8, label="Médiane de l'académie")
        both = now.notna() & before.notna()
        axes.hlines(positions[both.to_numpy()], before[both] * factor, now[both] * factor, color="#888888",
                    linewidth=0.7)
        axes.scatter(before * factor, positions, s=22, facecolors="white", edgecolors=previous, linewidths=1.1,
                     zorder=3, label="Année précédente")
        axes.scatter(now * factor, positions, s=26, color=current, zorder=4, label="Cette année")
        for position in positions[now.isna().to_numpy()]:  # the rate is shown, the mean is not: few validated
            axes.text(limits[0], position, " n.d.", va="center", fontsize=7, color="#444444")
        axes.set_xlim(*limits)
        axes.grid(axis="x", color="#dddddd", linewidth=0.5)
        axes.set_axisbelow(True)
    rate_axes.set_xlabel("Validées / candidats (%)")
    score_axes.set_xlabel("Score moyen des validées (Pix)")
    score_axes.tick_params(axis="y", length=0)
    rate_axes.set_yticks(positions, [f"{r.uai} {_shortened(str(r.name), 30)}" for r in rows.itertuples()])
    rate_axes.set_ylim(-0.7, len(rows) - 0.3)
    rate_axes.legend(ncols=4, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)
    first = (number - 1) * ROWS_PER_CHART + 1
    part = f" ({first} à {first + len(rows) - 1} sur {total})" if chunks > 1 else ""
    return _chart(f"academie-{number}", figure, f"Les établissements face aux quartiles de l'académie{part}",
                  _academie_alt(quartiles, len(rows), part))


def _academie_alt(quartiles: pd.DataFrame, count: int, part: str) -> str:
    rate, score = quartiles.loc["rate_of_candidates"], quartiles.loc["mean_score"]

    def number(value: float, decimals: int = 1) -> str:
        return "n.d." if np.isnan(value) else f"{value:.{decimals}f}".replace(".", ",")

    return (f"Pour {count} établissement(s){part}, du plus haut taux au plus bas : à gauche le taux de "
            "certifications validées parmi les candidats, à droite le score moyen des validées ; point plein : "
            "cette année, cercle vide : l'année précédente ; bande claire : du 1er au 3e quartile des "
            f"établissements de l'académie (taux : {number(rate.q1 * 100)} %, médiane {number(rate['median'] * 100)} %, "
            f"{number(rate.q3 * 100)} % ; score : {number(score.q1, 0)}, médiane {number(score['median'], 0)}, "
            f"{number(score.q3, 0)} pix), trait tireté : la médiane.")


def _chart(key: str, figure: Figure, title: str, alt: str) -> Chart:
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    buffer = io.BytesIO()
    # the salt keeps each chart's clip-path ids distinct from the other charts' on the same page
    with matplotlib.rc_context({"svg.hashsalt": key}):
        FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None, "Creator": None})
    return Chart(key, title, alt, buffer.getvalue())


@functools.cache
def _colours(count: int) -> tuple[str, ...]:
    """COUNT colours of the palette, dark to light, as SVG writes them."""
    import matplotlib

    return tuple(matplotlib.colors.to_hex(matplotlib.colormaps[PALETTE](x)) for x in np.linspace(0.05, 0.85, count))


def _shortened(label: str, length: int = 38) -> str:
    return label if len(label) <= length else label[:length - 1] + "…"
