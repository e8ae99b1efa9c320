"""The bilan's charts: its frames (transforms/bilans.py) → SVG documents, drawn offline by matplotlib.

Takes a Bilan; returns Charts (title, text alternative, SVG bytes), for the HTML page and the PDF alike.
"""
from __future__ import annotations

import functools
import io
import textwrap
from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_svg import FigureCanvasSVG
from matplotlib.figure import Figure

from schemas.referential import MAX_LEVEL
from transforms.bilan_tables import CLASSES
from transforms.bilans import (CANCELLED_OR_ERROR, ESTABLISHMENT, NOT_OBTAINED, VALIDATED, AcademieSummary,
                               Bilan)

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
    """Every chart of the bilan, in the order of the page; those with nothing to show are left out."""
    charts = [draw_outcomes(bilan.classes), draw_score_histograms(bilan.histogram),
              draw_global_levels(bilan.global_levels), draw_competences(bilan.competences),
              draw_domains(bilan.domains), draw_years(bilan.years)]
    return [chart for chart in charts if chart is not None]


@_styled
def draw_outcomes(classes: pd.DataFrame) -> Chart:
    """Per class, candidates by outcome, results set aside and absents, stacked."""
    rows = classes[classes["division"] != ESTABLISHMENT].iloc[::-1]
    labels = {c.name: c.label for c in CLASSES.columns}  # the table's words
    parts = [(name, labels[name]) for name in (VALIDATED, NOT_OBTAINED, CANCELLED_OR_ERROR, "set_aside", "absents")]
    # room above the bars for the legend's two rows
    figure, axes = _figure("outcomes", 6.8, 1.15 + 0.28 * len(rows), left=0.7, bottom=0.45, top=0.6)
    left = np.zeros(len(rows))
    for (column, label), colour in zip(parts, _colours(len(parts))):
        values = rows[column].to_numpy(dtype=float)
        axes.barh(rows["division"], values, left=left, color=colour, label=label, edgecolor="white", linewidth=0.5)
        left += values
    axes.set_xlabel("Élèves")
    axes.legend(ncols=3, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)
    return _chart("outcomes", figure, "Résultats par classe",
                  "Barres empilées par classe : validées, non obtenues, annulées, en erreur ou non terminées, "
                  "résultats écartés, absents.")


@_styled
def draw_score_histograms(histogram: pd.DataFrame) -> Chart | None:
    """One histogram of the validated scores per class, stacked as rows of one axis (all on the same scale).

    One axis rather than a grid of small ones: matplotlib's cost is per axis (~50 ms each), the bars are cheap.
    """
    if histogram.empty:
        return None
    divisions = list(dict.fromkeys(histogram["division"]))
    figure, axes = _figure("histograms", 6.8, 0.7 + 0.42 * len(divisions), left=1.1, bottom=0.45, top=0.1)
    colour = _colours(3)[1]
    top = max(int(histogram["n"].max()), 1)
    labels = []
    for row, division in enumerate(reversed(divisions)):
        bins = histogram[histogram["division"] == division]
        # a row is one unit high: the tallest bar of all the classes fills 85 % of it
        # one filled outline per class, not a rectangle per bin: a tenth of the shapes to draw, here and in the PDF
        edges = [*bins["bin_start"], bins["bin_end"].iloc[-1]]
        axes.stairs(row + bins["n"].to_numpy() / top * 0.85, edges, baseline=row, fill=True, color=colour,
                    linewidth=0)  # no outline: an empty bin draws nothing
        labels.append(f"{division} (n = {int(bins['n'].sum())})")
    axes.set_yticks(np.arange(len(divisions)) + 0.4, labels)
    axes.set_ylim(0, len(divisions))
    axes.tick_params(axis="y", length=0)
    axes.grid(axis="y", color="#bbbbbb", linewidth=0.5)
    axes.set_axisbelow(True)  # the guide lines behind the bars
    axes.set_xlabel(f"Score (Pix) ; la plus haute barre : {top} élève(s)")
    return _chart("histograms", figure, "Scores des certifications validées, par classe",
                  "Histogrammes des scores des certifications validées, une ligne par classe, tranches de 64 Pix, "
                  "toutes à la même échelle.")


@_styled
def draw_global_levels(levels: pd.DataFrame) -> Chart | None:
    if levels.empty:
        return None
    figure, axes = _figure("levels", 6.8, 2.2, left=0.6, bottom=0.65, top=0.1)
    axes.bar(levels["level"], levels["n"], color=_colours(len(levels)))
    axes.set_ylabel("Certifications validées")
    axes.tick_params(axis="x", labelrotation=30)
    return _chart("levels", figure, "Niveaux globaux (exports v3)",
                  "Nombre de certifications validées par niveau global, de Novice 1 à Expert 2.")


@_styled
def draw_competences(competences: pd.DataFrame) -> Chart:
    """Mean level per competence; a competence nobody was evaluated on is named, without a bar."""
    rows = competences.iloc[::-1]
    labels = [f"{r.code} {_shortened(r.label)}" for r in rows.itertuples()]
    figure, axes = _figure("competences", 6.8, 3.6, left=2.75, bottom=0.45, top=0.1)
    means = rows["mean"].to_numpy(dtype=float)
    colours = [_colours(5)[int(domain) - 1] for domain in rows["domain"]]
    axes.barh(labels, np.nan_to_num(means), color=colours)
    for position, mean in enumerate(means):
        axes.text(0.05 if np.isnan(mean) else mean + 0.05, position, "non évaluée" if np.isnan(mean) else
                  f"{mean:.1f}".replace(".", ","), va="center", fontsize=7)
    axes.set_xlabel("Niveau moyen des évalués (0 à 8)")
    axes.set_xlim(0, max(4.0, np.nanmax(means) + 0.8) if not np.isnan(means).all() else 4.0)
    return _chart("competences", figure, "Niveau moyen par compétence",
                  "Barres horizontales : niveau moyen des candidats évalués pour chacune des 16 compétences, "
                  "colorées par domaine.")


@_styled
def draw_domains(domains: pd.DataFrame) -> Chart:
    """Per domain, the shares of evaluated levels at 1 or more, 2 or more, 3 or more."""
    figure, axes = _figure("domains", 6.8, 2.4, left=0.6, bottom=0.5, top=0.35)
    positions = np.arange(len(domains))
    shares = [("share_ge_1", "niveau ≥ 1"), ("share_ge_2", "niveau ≥ 2"), ("share_ge_3", "niveau ≥ 3")]
    for offset, ((column, label), colour) in enumerate(zip(shares, _colours(3))):
        axes.bar(positions + (offset - 1) * 0.27, np.nan_to_num(domains[column].to_numpy(dtype=float)) * 100,
                 width=0.27, color=colour, label=label)
    # two short lines per domain: five labels side by side in 6.8 inches
    axes.set_xticks(positions, [f"{r.code}. " + "\n".join(textwrap.wrap(r.label, 18)) for r in domains.itertuples()])
    axes.set_ylabel("% des niveaux évalués")
    axes.set_ylim(0, 105)
    axes.legend(ncols=3, loc="lower left", bbox_to_anchor=(0, 1.0), frameon=False)
    return _chart("domains", figure, "Niveaux atteints par domaine",
                  "Barres groupées par domaine : part des niveaux évalués à 1 ou plus, 2 ou plus, 3 ou plus.")


def level_colours(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean levels → their (background, ink) in hex, on the one scale of every bilan: 0 to MAX_LEVEL on the palette.

    The scale is the level's, not the bilan's: the same mean has the same colour in every school's bilan and in
    every year's, so two bilans side by side compare by colour. A value is coloured as it is written (rounded to
    0.1): two cells that read the same look the same. NaN (nobody evaluated) is MISSING_COLOUR.
    """
    shown = np.round(np.asarray(values, dtype=float), 1)
    rgba = matplotlib.colormaps[PALETTE].with_extremes(bad=MISSING_COLOUR)(
        np.ma.masked_invalid(np.clip(shown, 0, MAX_LEVEL) / MAX_LEVEL))
    backgrounds = np.vectorize(matplotlib.colors.to_hex, signature="(n)->()")(rgba)
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


@_styled
def draw_years(years: pd.DataFrame) -> Chart | None:
    if len(years) < 2:
        return None
    figure, axes = _figure("years", 6.8, 2.2, left=0.6, bottom=0.35, top=0.1)
    axes.plot(years["school_year"], years["rate"] * 100, marker="o", color=_colours(3)[0])
    axes.set_ylabel("Validées / candidats (%)")
    axes.set_ylim(0, 105)
    return _chart("years", figure, "Évolution d'une année sur l'autre",
                  "Courbe du taux de certifications validées parmi les candidats, par année scolaire.")


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


def _figure(key: str, width: float, height: float, *, left: float, bottom: float, top: float, right: float = 0.2):
    """A figure of WIDTH × HEIGHT inches with one axis, its margins in inches (room for the labels).

    Margins set by hand, not by matplotlib's constrained layout: it lays each figure out several times, a
    third of the drawing time.
    """
    # a Figure of its own (no pyplot): no global state, safe in threads and worker processes
    figure = Figure(figsize=(width, height))
    figure.subplots_adjust(left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height)
    return figure, figure.subplots()


def _chart(key: str, figure: Figure, title: str, alt: str) -> Chart:
    buffer = io.BytesIO()
    # the salt keeps each chart's clip-path ids distinct from the other charts' on the same page
    with matplotlib.rc_context({"svg.hashsalt": key}):
        FigureCanvasSVG(figure).print_svg(buffer, metadata={"Date": None, "Creator": None})
    return Chart(key, title, alt, buffer.getvalue())


def _colours(count: int) -> list:
    return [matplotlib.colormaps[PALETTE](x) for x in np.linspace(0.05, 0.85, count)]


def _shortened(label: str, length: int = 38) -> str:
    return label if len(label) <= length else label[:length - 1] + "…"
