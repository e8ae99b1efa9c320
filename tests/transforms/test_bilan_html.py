"""The bilan's page: its heat map on one colour scale, the k ≥ 5 rule, its labels and column widths, and the elements
WeasyPrint needs defaults for."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import lxml.html
import numpy as np
import pandas as pd
import pytest

from schemas.referential import COMPETENCES

from tests.bilan_school import YEAR, school_bilan
from transforms.bilan_charts import draw_bilan_charts
from transforms.bilan_html import TEMPLATES, render_academie_html, render_bilan_html
from transforms.bilans import summarise_academie, summarise_establishment


@pytest.fixture
def bilan(engine):
    return school_bilan(engine)


@pytest.fixture
def page(bilan):
    return rendered(bilan)


def rendered(bilan):
    return lxml.html.document_fromstring(render_bilan_html(bilan, draw_bilan_charts(bilan), date(2026, 6, 30)))


def means(classes: dict[str, dict[str, float | None]]) -> pd.DataFrame:
    """A heat map: the given class means, every other competence nobody's."""
    codes = [c.code for c in COMPETENCES]
    return pd.DataFrame([[values.get(code, np.nan) for code in codes] for values in classes.values()],
                        index=pd.Index(list(classes), name="division"), columns=codes, dtype=float)


def table_rows(page, header: str) -> dict[str, list[str]]:
    """The table whose header holds HEADER, as its rows' texts by their first cell."""
    table = page.xpath(f"//table[thead//th={header!r}]")[0]
    return {cells[0]: cells[1:] for cells in ([td.text_content() for td in tr.xpath("td")]
                                              for tr in table.xpath("tbody/tr"))}


def test_the_heat_map_is_a_table_of_the_class_means_coloured_dark_to_light(bilan):
    page = rendered(replace(bilan, heat_map=means({"3A": {"1.1": 1.5, "3.4": None}, "3B": {"1.1": 8 / 3}}),
                            small_classes=()))
    table = page.xpath("//table[@class='heat-map']")[0]
    header = [th.text_content() for th in table.xpath("thead//th")]
    assert header == ["Classe", *bilan.heat_map.columns]
    rows = {tr.xpath("th")[0].text_content(): tr.xpath("td") for tr in table.xpath("tbody/tr")}
    assert list(rows) == ["3A", "3B"]
    cell = rows["3A"][header.index("1.1") - 1]
    assert cell.text_content() == "1,5"  # the mean level, written as French readers write it
    nobody = rows["3A"][header.index("3.4") - 1]
    assert nobody.text_content() == "—" and "#d9d9d9" in _style(nobody)  # nobody evaluated: grey, a dash
    # cividis runs from dark blue to light yellow: the weaker class mean is the darker cell, with light ink
    weak, strong = (rows[d][header.index("1.1") - 1] for d in ("3A", "3B"))
    assert _lightness(_style(weak)) < _lightness(_style(strong))
    assert "color: #ffffff" in _style(weak)


def test_a_level_has_the_same_colour_in_every_bilan_and_the_legend_shows_the_scale_0_to_8(bilan):
    weak_school = rendered(replace(bilan, heat_map=means({"3A": {"1.1": 1.0, "1.2": 3.0}}), small_classes=()))
    strong_school = rendered(replace(bilan, heat_map=means({"3A": {"1.1": 3.0, "1.2": 6.0}}), small_classes=()))

    def colour(page, code: str) -> str:
        table = page.xpath("//table[@class='heat-map']")[0]
        column = [th.text_content() for th in table.xpath("thead//th")].index(code)
        return _style(table.xpath("tbody/tr")[0].xpath("td")[column - 1])

    # a mean of 3 is one colour whatever the school's other means (the scale is not stretched to each bilan)
    assert colour(weak_school, "1.2") == colour(strong_school, "1.1")
    legend = {td.text_content(): _style(td) for td in weak_school.xpath("//table[@class='level-scale']//td")
              if td.get("class", "").startswith("tone-")}
    assert [key for key in legend if key != "—"] == [str(level) for level in range(9)]
    assert legend["3"] == colour(weak_school, "1.2") and legend["6"] == colour(strong_school, "1.2")
    assert "#d9d9d9" in legend["—"]
    assert "sur la même échelle dans tous les bilans" in weak_school.text_content()


def test_a_class_under_five_validated_shows_a_dash_for_its_means_and_the_rule_is_stated(bilan, page):
    # 3A has 2 validated certifications, 3B 3: their means are withheld, their counts and rates stay
    rule = page.xpath("//p[@class='rule']")[0].text_content()
    assert "une classe de moins de 5 certifications validées n'a ni score moyen" in rule
    assert "Classes concernées : 3A, 3B." in rule
    scores = table_rows(page, "Score moyen")
    assert scores["3A"][:2] == ["2", "—"] and scores["Établissement"][:2] == ["5", "300,0"]
    heat = {tr.xpath("th")[0].text_content(): tr.xpath("td") for tr in
            page.xpath("//table[@class='heat-map']/tbody/tr")}
    assert len(heat["3A"]) == 1 and heat["3A"][0].text_content().startswith("— moins de 5 certifications validées")
    classes = table_rows(page, "Validées / candidats")
    assert classes["3A"][1] == "4" and classes["3A"][-2] == "50,0 %"


def test_the_labels_say_what_they_count(page):
    headers = {th.text_content() for th in page.xpath("//thead//th")}

    assert "Annulées, en erreur ou non terminées" in headers
    assert "Compétences évaluées (élève × compétence)" in headers and "Candidats évalués" in headers
    assert "Niveaux évalués" not in headers and "Annulées ou en erreur" not in page.text_content()
    assert "INE" in headers  # the follow-up list, for Pronote and SIECLE


def test_each_column_is_as_wide_as_its_longest_word_and_the_competence_labels_get_the_room(page):
    competences = page.xpath("//table[thead//th='Compétence']")[0]
    widths = [float(th.get("style").removeprefix("width: ").removesuffix("%"))
              for th in competences.xpath("thead//th")]
    assert widths.index(max(widths)) == 1 and max(widths) > 25  # the label, on one or two lines
    assert sum(widths) == pytest.approx(100, abs=0.5)
    classes = page.xpath("//table[thead//th='Validées / candidats']")[0]
    assert float(classes.get("style").removeprefix("font-size: ").removesuffix("pt")) >= 7  # set smaller to fit


def test_every_element_of_the_bilan_pages_has_a_user_agent_style_for_weasyprint(bilan, page):
    summary = summarise_academie([summarise_establishment(bilan)])
    academie = lxml.html.document_fromstring(render_academie_html(summary, YEAR, date(2026, 6, 30)))
    used = {element.tag for document in (page, academie) for element in document.iter()
            if isinstance(element.tag, str)}
    css = (TEMPLATES / "bilan.user-agent.css").read_text()
    styled = set(re.findall(r"[a-z0-9]+", re.sub(r"/\*.*?\*/|\{.*?\}", " ", css, flags=re.S)))
    assert used <= styled, used - styled


def _style(cell) -> str:
    """The colours of a heat-map or legend cell, « background: #…; color: #… », from its page's rule for its tone."""
    rules = "".join(style.text_content() for style in cell.getroottree().xpath("//style[@class='tones']"))
    [colours] = re.findall(rf"td\.{cell.get('class')} {{ (.*?); }}", rules)
    return colours


def _lightness(style: str) -> float:
    red, green, blue = (int(part, 16) for part in re.findall(r"background: #(..)(..)(..)", style)[0])
    return 0.299 * red + 0.587 * green + 0.114 * blue


def test_a_bilan_of_many_classes_folds_its_per_class_tables_and_leaves_them_and_their_charts_out_of_the_pdf(bilan):
    import io

    from pypdf import PdfReader

    from transforms.bilan_html import render_pdf
    from transforms.bilan_tables import MANY_CLASSES
    from transforms.bilans import ESTABLISHMENT

    classes = bilan.classes[bilan.classes["division"] != ESTABLISHMENT]
    many = pd.concat([classes.iloc[[0]].assign(division=f"3-{n:03d}") for n in range(MANY_CLASSES + 1)]
                     + [bilan.classes[bilan.classes["division"] == ESTABLISHMENT]], ignore_index=True)
    big = replace(bilan, classes=many)
    html = render_bilan_html(big, draw_bilan_charts(big), date(2026, 6, 30))
    page = lxml.html.document_fromstring(html)

    folded = page.xpath("//details[@class='per-class']")
    assert len(folded) == 4 and not any(d.get("open") is not None for d in folded)  # closed until a reader opens it
    assert f"détail des {MANY_CLASSES + 1} classes" in folded[0].xpath("summary")[0].text_content()
    assert "3-060" in folded[0].text_content()  # every class is still on the page
    charts = {img.get("data-chart") for img in page.xpath("//img[@class='chart']")}
    assert "competences" in charts and not {"outcomes", "histograms"} & charts  # no bar per class

    printed = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(render_pdf(html))).pages)
    assert "voir le classeur" in printed and "3-060" not in printed
