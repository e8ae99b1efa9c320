"""Attestations: pages built from stored rows, their PDFs read back as text and as laid-out boxes, the incremental
plan."""
from __future__ import annotations

import io
import re
from datetime import datetime
from pathlib import Path

import lxml.html
import pandas as pd
from pypdf import PdfReader

from schemas.referential import COMPETENCE_CODES, LEVEL_COLUMNS
from transforms.attestations import (CENTRE_SHOWN, StoredAttestation, build_attestation_pages, class_file_name,
                                     content_hash, TEMPLATES, plan_renders, render_class, render_html, safe_file_part,
                                     shortened, student_file_path)
from transforms.pdf_engine import html_class

GENERATED = datetime(2026, 6, 1, 12, 0)


def stored_row(number: int, last: str, first: str = "Louis", *, status: str = "validated", eleve_id: int | None = 1,
               division: str = "3A", levels: dict[str, int | None] | None = None, global_level: str | None = "Novice 2",
               **columns) -> dict:
    """One StoredCertificationFrame row: a matched student with levels 3 everywhere unless told."""
    return dict(number=number, uai="0861234Z", status=status, certification_type="Pix", score=186,
                global_level=global_level, passed_on=pd.Timestamp("2026-03-20"), school_year=2025, centre=None,
                session="1",
                **({name: 3 for name in LEVEL_COLUMNS} | (levels or {})), division=division, match_method="exact",
                first_name=first, last_name=last, birth_date=pd.Timestamp("2011-04-04"),
                eleve_id=eleve_id, ine=None, student_last_name=last if eleve_id else None, student_usage_name=None,
                student_first_name=first if eleve_id else None,
                student_birth_date=pd.Timestamp("2011-04-04") if eleve_id else None,
                student_division=division if eleve_id else None) | columns


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows)).astype({"eleve_id": "Int64", "score": "Int64", **{c: "Int64" for c in LEVEL_COLUMNS}})


def pages_of(*rows: dict, head: str | None = None):
    return build_attestation_pages(frame(*rows), "Établissement 0861234Z", GENERATED, head)


def texts_of(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def levels_in(text: str) -> dict[str, str]:
    """Competence code -> printed level, read back from a page's text.

    Each domain prints its labels, then its column of levels: the levels follow the labels in order.
    """
    levels, codes = {}, []
    for line in text.splitlines():
        if line[:3] in COMPETENCE_CODES:
            codes.append(line[:3])
        elif codes and len(line.strip()) == 1:
            levels[codes.pop(0)] = line.strip()
    return levels


def test_each_validated_student_gets_one_page_with_name_birth_date_and_levels():
    pages = tuple(pages_of(stored_row(1, "Durand", "Louis", levels={"level_1_1": 5}), stored_row(2, "Martin", "Léa")))
    texts = texts_of(render_class("3A", pages).class_pdf)

    assert len(texts) == 2
    assert "Louis Durand" in texts[0] and "Martin" not in texts[0]
    assert "Né(e) le 04/04/2011" in texts[0]
    assert "Certification Pix" in texts[0] and "186 Pix" in texts[0] and "Novice 2" in texts[0]
    assert "Mener une recherche" in texts[0]
    assert levels_in(texts[0]) == {code: "5" if code == "1.1" else "3" for code in COMPETENCE_CODES}
    assert "téléchargeable sur la plateforme Pix" in texts[0] and "générée le 01/06/2026" in texts[0]


def test_level_below_one_or_not_evaluated_shows_a_dash():
    page = pages_of(stored_row(1, "Durand", levels={"level_1_1": 0, "level_1_2": None, "level_1_3": 1}))[0]
    levels = [c.level for c in page.domains[0].competences]
    assert levels == ["-", "-", "1"]
    printed = levels_in(texts_of(render_class("3A", (page,)).class_pdf)[0])
    assert (printed["1.1"], printed["1.2"], printed["1.3"], printed["2.1"]) == ("-", "-", "1", "3")


def test_first_names_in_siecle_capitals_print_as_names_are_written():
    pages = pages_of(stored_row(1, "FAURE", "JEAN-BAPTISTE"), stored_row(2, "MARTIN", "Léa-Rose"))
    assert [(p.first_name, p.last_name) for p in pages] == [("Jean-Baptiste", "FAURE"), ("Léa-Rose", "MARTIN")]


def test_names_are_printed_as_typed_and_escaped():
    pages = pages_of(stored_row(1, "D'Artagnan & Fils", "<b>Jean</b>"))
    html = render_html(pages)
    assert "<b>Jean</b>" not in html and "&lt;b&gt;Jean&lt;/b&gt;" in html
    assert "D&#39;Artagnan &amp; Fils" in html
    assert "<b>Jean</b> D'Artagnan & Fils" in texts_of(render_class("3A", tuple(pages)).class_pdf)[0]


def test_pages_are_ordered_by_name_ignoring_accents_and_case():
    pages = pages_of(stored_row(1, "Fabre"), stored_row(2, "émile", "Zoé"), stored_row(3, "Emile", "Anna"),
                     stored_row(4, "Durand"))
    assert [(p.last_name, p.first_name) for p in pages] == [
        ("Durand", "Louis"), ("Emile", "Anna"), ("émile", "Zoé"), ("Fabre", "Louis")]


def test_only_matched_validated_certifications_get_a_page():
    pages = pages_of(stored_row(1, "Valide"), stored_row(2, "Rejet", status="rejected", score=0),
                     stored_row(3, "Inconnu", eleve_id=None))
    assert [p.last_name for p in pages] == ["Valide"]


def test_a_fact_the_export_did_not_give_reads_non_communique_in_its_place():
    # the « Nombre de Pix » export of a v2 certification: no global level, no centre; a file without dates
    page = pages_of(stored_row(1, "Durand", global_level=None, centre=None, session=None, passed_on=None))[0]
    text = texts_of(render_class("3A", (page,)).class_pdf)[0]

    assert (page.global_level, page.centre, page.session, page.passed_on) == (None, None, None, None)
    for label in ("Niveau global", "Date de passage", "Session", "Centre de certification"):
        assert label in text
    assert text.count("non communiqué") == 4 + 1  # the four facts, and the legend that says what it means
    assert "186 Pix" in text


def test_session_and_centre_are_printed_when_the_export_gives_them():
    page = pages_of(stored_row(1, "Durand", session="123456", centre="Collège Jean Moulin, Poitiers"))[0]
    text = texts_of(render_class("3A", (page,)).class_pdf)[0]

    assert "123456" in text and "Collège Jean Moulin, Poitiers" in text and "non communiqué »" in text
    assert text.count("non communiqué") == 1  # the legend only
    # read in the page's order, as text copied or read aloud: the facts before the competences
    assert text.index("123456") < text.index("Compétences")


def test_the_score_is_written_in_pix_as_pix_writes_it():
    text = texts_of(render_class("3A", tuple(pages_of(stored_row(1, "Durand", score=448)))).class_pdf)[0]

    assert "448 Pix" in text
    assert not re.search(r"\d\s*pix\b", text)


def test_the_signature_block_names_the_chef_d_etablissement_when_known():
    signed = texts_of(render_class("3A", tuple(pages_of(stored_row(1, "Durand"), head="Anne-Marie Lefebvre"))
                                   ).class_pdf)[0]
    unsigned = texts_of(render_class("3A", tuple(pages_of(stored_row(1, "Durand")))).class_pdf)[0]

    for text in (signed, unsigned):
        assert "Le chef d’établissement" in text and "Fait à" in text and ", le" in text
    assert "Anne-Marie Lefebvre" in signed and "Lefebvre" not in unsigned


def test_the_head_is_part_of_what_the_page_shows():
    assert content_hash(pages_of(stored_row(1, "Durand"))[0]) != \
        content_hash(pages_of(stored_row(1, "Durand"), head="Anne Durand")[0])


def test_a_centre_too_long_for_its_two_lines_is_shortened_at_a_word():
    centre = "Lycée polyvalent régional Jean Moulin et Marie Curie, " * 4
    page = pages_of(stored_row(1, "Durand", centre=centre))[0]

    assert len(page.centre) <= CENTRE_SHOWN + 1 and page.centre.endswith("…")
    assert centre.startswith(page.centre[:-1])
    assert shortened("Collège Jean Moulin", CENTRE_SHOWN) == "Collège Jean Moulin"


def laid_out_blocks(pages) -> list[dict[str, tuple[float, float]]]:
    """Per page, each classed block of the template (and the footer) -> (top, bottom) in mm, as WeasyPrint lays it out
    (the « non communiqué » spans left out: they stand where their fact is missing).

    Walks WeasyPrint's box tree (its layout, not a public API): the one way to see where a block lands without
    rasterising the PDF.
    """
    document = html_class("attestation.user-agent.css")(string=render_html(pages), base_url=str(TEMPLATES))
    from transforms.attestations import _stylesheet

    rendered = document.render(stylesheets=[_stylesheet()])
    mm = 25.4 / 96
    result = []
    for page in rendered.pages:
        blocks: dict[str, tuple[float, float]] = {}

        def walk(box) -> None:
            element = getattr(box, "element", None)
            key = (element.get("class") or (box.element_tag if box.element_tag == "footer" else None)) \
                if element is not None else None
            if key and box.element_tag != "span" and type(box).__name__ != "LineBox" and key not in blocks:
                blocks[key] = (round(box.position_y * mm, 2), round((box.position_y + box.margin_height()) * mm, 2))
            for child in getattr(box, "children", ()):
                walk(child)

        walk(page._page_box)
        result.append(blocks)
    return result


def test_every_student_of_a_class_gets_the_same_layout_whatever_the_export():
    long_name = ("Lefèvre-Dubois de la Tour d'Auvergne", "Jean-Baptiste Alexandre")
    pages = pages_of(
        stored_row(1, "Durand", score=448, global_level="Indépendant 2", session="123456"),  # current export
        stored_row(2, "Martin", global_level=None, session="98765"),  # « Nombre de Pix » export: no level
        stored_row(3, *long_name, global_level=None, centre="Collège Jean Moulin " * 10),  # 2018 export: a centre
        stored_row(4, "Petit", passed_on=None, session=None),  # a file without dates nor session
        head="Anne-Marie Lefebvre")

    tops = [{block: top for block, (top, _) in layout.items()} for layout in laid_out_blocks(pages)]

    assert len(tops) == 4
    assert all(page == tops[0] for page in tops), "a block moved between two students"
    assert {"identity", "facts", "more", "head", "legend", "footer", "signature", "signer"} <= set(tops[0])


def test_the_page_above_never_reaches_the_signature_block():
    page = pages_of(stored_row(1, "Lefèvre-Dubois de la Tour d'Auvergne", "Jean-Baptiste Alexandre",
                               centre="Collège " * 40), head="Anne-Marie Lefebvre-Delacroix de Saint-Exupéry")
    [blocks] = laid_out_blocks(page)

    assert blocks["legend"][1] + 3 <= blocks["footer"][0]  # 3 mm at least between them


def test_empty_class_gives_no_pdf():
    result = render_class("3B", ())
    assert result.class_pdf is None and result.student_pdfs == {}


def test_student_pdfs_are_the_class_pages_one_each():
    pages = tuple(pages_of(stored_row(1, "Durand"), stored_row(2, "Martin")))
    result = render_class("3A", pages)
    assert set(result.student_pdfs) == {1, 2}
    assert [texts_of(result.student_pdfs[n]) for n in (1, 2)] == [[t] for t in texts_of(result.class_pdf)]


def test_file_names_cannot_escape_their_folder():
    page = pages_of(stored_row(7310657, "../Du/rand<x>", "Lé a", division="3/A"))[0]
    path = student_file_path(page)
    assert path == Path("3_A") / "DU_RAND_X_Lé_a_7310657.pdf"
    assert class_file_name("3/A") == "Attestations_Pix_3_A.pdf"
    assert safe_file_part("..") == "_"


def test_content_hash_ignores_the_generation_date_only():
    first = pages_of(stored_row(1, "Durand"))[0]
    later = build_attestation_pages(frame(stored_row(1, "Durand")), "Établissement 0861234Z", datetime(2027, 1, 1))[0]
    changed = pages_of(stored_row(1, "Durand", levels={"level_5_2": 6}))[0]
    assert content_hash(first) == content_hash(later) != content_hash(changed)


def test_plan_renders_nothing_when_nothing_changed(tmp_path):
    pages = pages_of(stored_row(1, "Durand"))
    stored = {1: StoredAttestation(1, content_hash(pages[0]), str(tmp_path / student_file_path(pages[0])))}
    (tmp_path / class_file_name("3A")).write_bytes(b"%PDF")

    plan = plan_renders(pages, stored, tmp_path, only_changed=True)

    assert plan.jobs == () and plan.unchanged == ("3A",) and plan.stale_files == ()


def test_plan_rerenders_a_class_that_lost_a_student_and_removes_the_file(tmp_path):
    pages = pages_of(stored_row(1, "Durand"))
    gone = str(tmp_path / "3A" / "MARTIN_Léa_2.pdf")
    stored = {1: StoredAttestation(1, content_hash(pages[0]), str(tmp_path / student_file_path(pages[0]))),
              2: StoredAttestation(2, "0" * 64, gone)}
    (tmp_path / class_file_name("3A")).write_bytes(b"%PDF")

    plan = plan_renders(pages, stored, tmp_path, only_changed=True)

    assert [job.division for job in plan.jobs] == ["3A"]
    assert plan.stale_numbers == (2,) and Path(gone) in plan.stale_files


def test_plan_for_a_division_without_validated_student_is_empty(tmp_path):
    plan = plan_renders([], {}, tmp_path, only_changed=False, division="3B")
    assert plan.jobs == () and plan.empty == ("3B",)


def test_every_element_of_the_template_has_a_user_agent_style():
    html = render_html(pages_of(stored_row(1, "Durand", centre="Collège Jean Moulin"), stored_row(2, "Martin")))
    used = {element.tag for element in lxml.html.document_fromstring(html).iter() if isinstance(element.tag, str)}
    css = (TEMPLATES / "attestation.user-agent.css").read_text()
    styled = set(re.findall(r"[a-z0-9]+", re.sub(r"/\*.*?\*/|\{.*?\}", " ", css, flags=re.S)))
    assert used <= styled, used - styled
