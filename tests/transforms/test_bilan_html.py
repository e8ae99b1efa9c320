"""The bilan's page: its heat map as a coloured table, and the elements WeasyPrint needs defaults for."""
from __future__ import annotations

import re
from datetime import date

import lxml.html
import pytest

from tests.bilan_school import YEAR, school_bilan
from transforms.bilan_charts import draw_bilan_charts
from transforms.bilan_html import TEMPLATES, render_academie_html, render_bilan_html
from transforms.bilans import summarise_academie, summarise_establishment


@pytest.fixture
def bilan(engine):
    return school_bilan(engine)


@pytest.fixture
def page(bilan):
    return lxml.html.document_fromstring(render_bilan_html(bilan, draw_bilan_charts(bilan), date(2026, 6, 30)))


def test_the_heat_map_is_a_table_of_the_class_means_coloured_dark_to_light(bilan, page):
    table = page.xpath("//table[@class='heat-map']")[0]
    header = [th.text_content() for th in table.xpath("thead//th")]
    assert header == ["Classe", *bilan.heat_map.columns]
    rows = {tr.xpath("th")[0].text_content(): tr.xpath("td") for tr in table.xpath("tbody/tr")}
    assert list(rows) == ["3A", "3B"]
    cell = rows["3A"][header.index("1.1") - 1]
    assert cell.text_content() == "1,5"  # the mean level, written as French readers write it
    nobody = rows["3A"][header.index("3.4") - 1]
    assert nobody.text_content() == "—" and "#d9d9d9" in nobody.get("style")  # nobody evaluated: grey, a dash
    # cividis runs from dark blue to light yellow: the weaker class mean is the darker cell, with light ink
    weak, strong = (rows[d][header.index("1.1") - 1] for d in ("3A", "3B"))
    assert _lightness(weak.get("style")) < _lightness(strong.get("style"))
    assert "color: #ffffff" in weak.get("style")


def test_every_element_of_the_bilan_pages_has_a_user_agent_style_for_weasyprint(bilan, page):
    summary = summarise_academie([summarise_establishment(bilan)])
    academie = lxml.html.document_fromstring(render_academie_html(summary, YEAR, date(2026, 6, 30)))
    used = {element.tag for document in (page, academie) for element in document.iter()
            if isinstance(element.tag, str)}
    css = (TEMPLATES / "bilan.user-agent.css").read_text()
    styled = set(re.findall(r"[a-z0-9]+", re.sub(r"/\*.*?\*/|\{.*?\}", " ", css, flags=re.S)))
    assert used <= styled, used - styled


def _lightness(style: str) -> float:
    red, green, blue = (int(part, 16) for part in re.findall(r"background: #(..)(..)(..)", style)[0])
    return 0.299 * red + 0.587 * green + 0.114 * blue
