"""The bilans' colours: one table of cividis, by tenth of a level, from 0.0 to 8.0.

cividis (Nuñez, Anderton and Renslow, PLOS ONE 13(7): e0199239, 2018) is ordered in lightness, so its colours stay
apart in grey print, and made for colour-blind readers. The table holds the colours matplotlib's "cividis" colormap
gives at level / 8 for the 81 values a mean level shows (0.0, 0.1 … 8.0); every colour of a bilan is one of them:
the heat map's cell of that level, and the series of a chart taken at evenly spaced levels. Written out rather than
asked of matplotlib: its import cost 0.3 s of CPU in every process that made a bilan.
tests/transforms/test_palette.py checks the table against matplotlib's colormap.
"""
from __future__ import annotations

import numpy as np

from schemas.referential import MAX_LEVEL

BY_TENTH: tuple[str, ...] = (
    "#00224e", "#002553", "#002758", "#00295d", "#002b62", "#002e6a", "#00306f", "#003171", "#083370",
    "#123570", "#1a386f", "#203a6f", "#243c6e", "#293f6e", "#2d416d", "#32436d", "#35456c", "#39486c",
    "#3c4a6c", "#3f4c6c", "#434e6c", "#46516c", "#49536c", "#4c556c", "#4f576c", "#535a6d", "#555c6d",
    "#585e6d", "#5b606e", "#5e626e", "#61656f", "#646770", "#666970", "#696b71", "#6c6d72", "#6f7073",
    "#727274", "#747475", "#777776", "#797977", "#7d7c78", "#7f7e78", "#828079", "#858279", "#888578",
    "#8c8878", "#8f8a78", "#928c78", "#948e77", "#979177", "#9b9476", "#9e9676", "#a19975", "#a49b74",
    "#a79d73", "#aba072", "#aea371", "#b1a570", "#b5a86f", "#b8aa6e", "#bcae6c", "#bfb06b", "#c2b369",
    "#c5b568", "#c8b866", "#cdbb63", "#d0be62", "#d3c05f", "#d6c35d", "#dac65b", "#dec958", "#e1cc55",
    "#e5cf52", "#e8d24f", "#ebd44b", "#f0d846", "#f3db42", "#f7de3e", "#fbe138", "#fee434", "#fee838",
)
assert len(BY_TENTH) == MAX_LEVEL * 10 + 1


def at(share: float) -> str:
    """The colour at SHARE (0 to 1) of the scale, to the nearest tenth of a level."""
    return BY_TENTH[int(round(min(max(share, 0.0), 1.0) * MAX_LEVEL * 10))]


def series(count: int) -> tuple[str, ...]:
    """COUNT colours evenly spaced from 5 % to 85 % of the scale, dark to light: the series of a chart (the lightest
    end is left out, too pale on white)."""
    return tuple(at(share) for share in np.linspace(0.05, 0.85, count))


def best_ink(backgrounds: np.ndarray) -> np.ndarray:
    """Black or white, whichever reads better on each of BACKGROUNDS ("#rrggbb"), by WCAG's contrast ratio."""
    rgb = np.array([[int(b[i:i + 2], 16) / 255 for i in (1, 3, 5)] for b in backgrounds]).reshape(-1, 3)
    linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    luminance = linear @ np.array([0.2126, 0.7152, 0.0722])
    return np.where((luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05), "#000000", "#ffffff")
