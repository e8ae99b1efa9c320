"""The bilan's charts: its frames (transforms/bilans.py) → SVG documents written here (bars, points, lines and text).

Takes a Bilan (or the académie summary); returns Charts (title, text alternative, SVG bytes), for the HTML page and
the PDF alike. Colours: transforms/palette.py.
"""
from __future__ import annotations

import html
import textwrap
from dataclasses import dataclass

import numpy as np
import pandas as pd

from schemas.referential import MAX_LEVEL
from transforms import palette
from transforms.bilan_tables import CLASSES, MANY_CLASSES
from transforms.bilans import (CANCELLED_OR_ERROR, ESTABLISHMENT, NOT_OBTAINED, VALIDATED, AcademieSummary,
                               Bilan)

MISSING_COLOUR = "#d9d9d9"


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
    colours = palette.series(len(parts))
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
    # each class's bins as plain lists, grouped once: a filter per class cost more than drawing them
    by_class = {division: (bins["bin_start"].tolist(), bins["bin_end"].tolist(), bins["n"].tolist())
                for division, bins in histogram.groupby("division", sort=False, dropna=False)}
    divisions = list(by_class)
    top = max(int(histogram["n"].max()), 1)
    high = int(histogram["bin_end"].max())
    labels = [f"{d} (n = {int(sum(by_class[d][2]))})" for d in divisions]
    left = _label_room(labels)
    width, row_height = CHART_WIDTH - left - RIGHT, 28
    height = TOP + row_height * len(divisions) + AXIS
    body = []
    colour = palette.series(3)[1]
    for row, (division, label) in enumerate(zip(divisions, labels)):
        base = TOP + row_height * (row + 1)
        # one filled outline per class, not a rectangle per bin: fewer shapes to draw, here and in the PDF
        points = [f"{left:.1f},{base}"]
        for start, end, n in zip(*by_class[division]):
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
    colours = palette.series(len(levels))
    bars = [(str(level), [(float(n), c)], str(int(n))) for level, n, c in zip(levels["level"], levels["n"], colours)]
    return Chart("levels", "Niveaux globaux (exports v3)",
                 "Nombre de certifications validées par niveau global, de Novice 1 à Expert 2.",
                 _horizontal_bars(bars, max(float(levels["n"].max()), 1), "Certifications validées"))


def draw_competences(competences: pd.DataFrame) -> Chart:
    """Mean level per competence; a competence nobody was evaluated on is named, without a bar."""
    domain_colours = palette.series(5)
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
    colours = palette.series(3)
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
    return _BACKGROUNDS[position], _INKS[position]


_BACKGROUNDS = np.array([*palette.BY_TENTH, MISSING_COLOUR])  # each level 0.0, 0.1 … MAX_LEVEL, then NaN
_INKS = palette.best_ink(_BACKGROUNDS)


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
    colour = palette.series(3)[0]
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


def _x_axis(left: float, width: float, y: float, high: float, label: str, *, step: float,
            low: float = 0.0) -> list[str]:
    body = [f'<line x1="{left}" x2="{left + width:.1f}" y1="{y}" y2="{y}" stroke="#333333" stroke-width="0.8"/>']
    for tick, x in _ticks(left, width, low, high, step):
        body.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y}" y2="{y + 3}" stroke="#333333" stroke-width="0.8"/>')
        body.append(_text(x, y + 14, _tick(tick), "middle", FONT - 1))
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


ACADEMIE_WIDTH, PANEL_GAP = 1000, 28  # a landscape A4 page's width in CSS pixels, less its margins


def _draw_academie_chunk(rows: pd.DataFrame, quartiles: pd.DataFrame, number: int, chunks: int,
                         total: int) -> Chart:
    """Two panels side by side, one row per establishment (the best rate at the top): the rate of validated among
    candidates, then the mean score, each point this year's, a hollow circle last year's joined to it, over the band
    from the académie's first to third quartile and its median dashed."""
    labels = [f"{r.uai} {_shortened(str(r.name), 30)}" for r in rows.itertuples()]
    left = _label_room(labels)
    panel = (ACADEMIE_WIDTH - left - RIGHT - PANEL_GAP) / 2
    top = 28
    base = top + ROW * len(rows)
    current, previous, band = (palette.at(share) for share in (0.05, 0.55, 0.95))
    body = _academie_legend(left, band, previous, current)
    body += [_text(left - 4, top + ROW * row + ROW / 2 + 4, label, "end") for row, label in enumerate(labels)]
    scores = pd.concat([rows["score"], rows["previous_score"], quartiles.loc["mean_score", ["q1", "q3"]]]).dropna()
    low = max(0.0, np.floor((scores.min() - 40) / 100) * 100) if len(scores) else 0.0
    high = np.ceil((scores.max() + 40) / 100) * 100 if len(scores) else 1000.0
    for x0, now, before, indicator, factor, (low_, high_), step, axis_label in (
            (left, rows["rate"], rows["previous"], "rate_of_candidates", 100, (0.0, 102.0), 20.0,
             "Validées / candidats (%)"),
            (left + panel + PANEL_GAP, rows["score"], rows["previous_score"], "mean_score", 1, (low, high),
             _nice_step(high - low, 25.0), "Score moyen des validées (Pix)")):
        def x(value: float) -> float:
            return x0 + (value - low_) / (high_ - low_) * panel

        q1, median, q3 = (quartiles.loc[indicator, q] * factor for q in ("q1", "median", "q3"))
        body += _grid(x0, panel, top, base, low_, high_, step)
        if not np.isnan(median):  # every mean score withheld: no quartiles of them
            body.append(f'<rect x="{x(q1):.1f}" y="{top}" width="{max(x(q3) - x(q1), 0.5):.1f}" '
                        f'height="{base - top}" fill="{band}" fill-opacity="0.6"/>')
            body.append(_dashed(x(median), top, x(median), base))
        for row, (value, last) in enumerate(zip(now * factor, before * factor)):
            y = top + ROW * row + ROW / 2
            if not pd.isna(value) and not pd.isna(last):
                body.append(f'<line x1="{x(last):.1f}" x2="{x(value):.1f}" y1="{y}" y2="{y}" stroke="#888888" '
                            'stroke-width="0.7"/>')
            if not pd.isna(last):
                body.append(f'<circle cx="{x(last):.1f}" cy="{y}" r="3.2" fill="white" stroke="{previous}" '
                            'stroke-width="1.1"/>')
            if pd.isna(value):  # the rate is shown, the mean is not: few validated
                body.append(_text(x0 + 3, y + 4, "n.d.", size=FONT - 2))
            else:
                body.append(f'<circle cx="{x(value):.1f}" cy="{y}" r="3.6" fill="{current}"/>')
        body.append(f'<line x1="{x0}" x2="{x0}" y1="{top}" y2="{base}" stroke="#333333" stroke-width="0.8"/>')
        body += _x_axis(x0, panel, base, high_, axis_label, step=step, low=low_)
    first = (number - 1) * ROWS_PER_CHART + 1
    part = f" ({first} à {first + len(rows) - 1} sur {total})" if chunks > 1 else ""
    return Chart(f"academie-{number}", f"Les établissements face aux quartiles de l'académie{part}",
                 _academie_alt(quartiles, len(rows), part), _svg(ACADEMIE_WIDTH, base + AXIS, body))


def _academie_legend(left: float, band: str, previous: str, current: str) -> list[str]:
    """The four marks and their words on one line above the panels, each after the words before it."""
    marks = [(lambda x: f'<rect x="{x:.1f}" y="6" width="18" height="9" fill="{band}" fill-opacity="0.6"/>',
              "Du 1er au 3e quartile de l'académie"),
             (lambda x: _dashed(x, 10.5, x + 18, 10.5), "Médiane de l'académie"),
             (lambda x: f'<circle cx="{x + 9:.1f}" cy="10.5" r="3.2" fill="white" stroke="{previous}" '
                        'stroke-width="1.1"/>', "Année précédente"),
             (lambda x: f'<circle cx="{x + 9:.1f}" cy="10.5" r="3.6" fill="{current}"/>', "Cette année")]
    body, x = [], left
    for mark, words in marks:
        body += [mark(x), _text(x + 24, 14.5, words)]
        x += 24 + CHARACTER * len(words) + 28
    return body


def _dashed(x1: float, y1: float, x2: float, y2: float) -> str:
    """A dashed dark line from (X1, Y1) to (X2, Y2): the académie's median, and its mark in the legend."""
    return (f'<line x1="{x1:.1f}" x2="{x2:.1f}" y1="{y1:.1f}" y2="{y2:.1f}" stroke="#444444" stroke-width="0.9" '
            'stroke-dasharray="3 2"/>')


def _grid(left: float, width: float, top: float, base: float, low: float, high: float, step: float) -> list[str]:
    """Light vertical lines at each tick from LOW to HIGH."""
    return [f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{base}" stroke="#dddddd" stroke-width="0.5"/>'
            for _, x in _ticks(left, width, low, high, step)]


def _ticks(left: float, width: float, low: float, high: float, step: float) -> list[tuple[float, float]]:
    """(value, x) of each tick from LOW to HIGH, STEP apart, on an axis from LEFT, WIDTH long."""
    ticks, tick = [], low
    while tick <= high + 1e-9:
        ticks.append((tick, left + (tick - low) / (high - low) * width))
        tick += step
    return ticks


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


def _shortened(label: str, length: int = 38) -> str:
    return label if len(label) <= length else label[:length - 1] + "…"
