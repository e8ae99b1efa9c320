"""The bilans' colour table is cividis as matplotlib draws it, and each colour's ink the one that reads best on it."""
from __future__ import annotations

import matplotlib
import numpy as np

from schemas.referential import MAX_LEVEL
from transforms import palette
from transforms.bilan_charts import MISSING_COLOUR, level_colours


def matplotlib_cividis(shares) -> list[str]:
    return [matplotlib.colors.to_hex(colour) for colour in matplotlib.colormaps["cividis"](np.asarray(shares))]


def test_the_table_is_matplotlibs_cividis_at_each_tenth_of_a_level():
    assert list(palette.BY_TENTH) == matplotlib_cividis(np.arange(MAX_LEVEL * 10 + 1) / 10 / MAX_LEVEL)


def test_a_series_spans_the_scale_dark_to_light_on_tenths_of_a_level():
    three = palette.series(3)
    assert three == tuple(matplotlib_cividis([0.05, 0.45, 0.85]))  # on the table's tenths: exactly matplotlib's
    assert palette.series(5) == tuple(matplotlib_cividis([0.05, 0.25, 0.45, 0.65, 0.85]))
    eight = palette.series(8)
    assert len(set(eight)) == 8 and eight[0] == three[0] and eight[-1] == three[-1]


def test_the_ink_is_white_on_the_dark_end_black_on_the_light_end_and_black_on_grey():
    backgrounds, inks = level_colours(np.array([0.0, 2.0, 4.0, 8.0, np.nan]))
    assert list(backgrounds[:4]) == matplotlib_cividis([0.0, 0.25, 0.5, 1.0])
    assert backgrounds[4] == MISSING_COLOUR
    assert list(inks) == ["#ffffff", "#ffffff", "#000000", "#000000", "#000000"]


def test_each_ink_is_the_one_of_higher_contrast():
    def luminance(hex_colour: str) -> float:
        rgb = np.array([int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)])
        linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        return float(linear @ [0.2126, 0.7152, 0.0722])

    def contrast(a: str, b: str) -> float:
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    for background, ink in zip(palette.BY_TENTH, palette.best_ink(np.array(palette.BY_TENTH))):
        other = "#ffffff" if ink == "#000000" else "#000000"
        assert contrast(background, ink) >= contrast(background, other), background
