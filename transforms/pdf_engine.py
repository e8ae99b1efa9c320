"""WeasyPrint, given a page's own user-agent stylesheet instead of its whole HTML5 one.

WeasyPrint cascades its HTML5 stylesheet (hundreds of rules) over every element of every document: measured at
about a fifth of a class of attestations' rendering time and 7 % of a bilan's. Each template lists, in its own
user-agent stylesheet (templates/*.user-agent.css), the defaults of the elements it uses; a test per template
checks that none is missing.
"""
from __future__ import annotations

from functools import cache
from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def html_class(user_agent: str):
    """WeasyPrint's HTML whose user-agent stylesheet is templates/USER_AGENT.

    _ua_stylesheets is WeasyPrint's hook for its HTML5 defaults (private API, checked on WeasyPrint 70); should it
    disappear, the override is simply not called and the pages render as before, only slower.
    """
    from weasyprint import CSS, HTML  # heavy import (~0.5 s): only where a PDF is made

    stylesheet = CSS(filename=str(TEMPLATES / user_agent))

    class OwnDefaultsHTML(HTML):
        def _ua_stylesheets(self, *args, **kwargs):
            return [stylesheet]

    return OwnDefaultsHTML
