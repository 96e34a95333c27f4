"""The book's pages pass axe-core's WCAG 2.1 A/AA rules (Sphinx extension).

Jupyter Book's default pages do not (jupyter-book#2135); what axe-core finds comes
from the theme's and myst-nb's markup, not from the course's text. This extension
fixes it where the markup is made, at build time:

* myst-nb's code-cell toggles (``<details>`` around hidden input or output) get a
  ``<summary>`` named by its visible text, "Show code cell source", instead of an
  ``aria-label`` ("Toggle hidden content") that does not contain that text (rule
  ``label-content-name-mismatch``);
* the sidebar's expand/collapse toggles, a bare chevron in a ``<summary>``
  (pydata-sphinx-theme), are named after their chapter: "Sections of 3.
  Cross-correlation" (rule ``summary-name``);
* the search buttons and the colour-mode button (``templates/``, which Sphinx
  searches before the theme's templates of the same names): the search button is
  named by its text, "Search Ctrl + K", and the colour-mode button's icons, which
  carried their own names ("Light", "Dark"), are decorative, so "Color mode" names
  it (rule ``label-content-name-mismatch``);
* the bibliography's entries, marked ``role="doc-biblioentry"`` by docutils (a role
  ARIA 1.2 deprecated, so no list item) inside a ``role="list"``, are list items
  (rules ``aria-required-children`` and ``aria-deprecated-role``).

``tests/book/test_accessibility.py`` runs axe-core on every page in both themes.
Listed in ``_config.yml`` under ``sphinx: extra_extensions`` (as
``convbn_tools.accessibility``).
"""

from __future__ import annotations

import re
from html import escape
from pathlib import Path

#: The templates that replace the theme's (searched first: ``templates_path``).
TEMPLATES = Path(__file__).parent / "templates"
#: docutils' bibliography entries: the deprecated DPUB role, as a list item.
BIBLIOENTRY = re.compile(r'(<div class="citation"[^>]*) role="doc-biblioentry"')


def visit_hidden_cell(self, node) -> None:
    """myst-nb's toggle, named by its visible text ("Show code cell source").

    The two prompts sit in the ``<summary>``; myst-nb's CSS shows one at a time
    (``display: none`` on the other), so the name is always the text shown.
    """
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n')
    self.body.append("<summary>\n")
    for state, prompt in (("collapsed", "prompt_show"), ("expanded", "prompt_hide")):
        self.body.append(
            f'<p class="{state} admonition-title">{escape(node[prompt])}</p>\n'
        )
    self.body.append("</summary>\n")


def depart_hidden_cell(self, node) -> None:
    self.body.append("</details>\n")


def name_toggles(html: str) -> str:
    """The sidebar's HTML with every nameless ``<summary>`` named after its entry.

    >>> sidebar = (
    ...     '<li><a href="a.html">3. Cross-correlation</a>'
    ...     '<details><summary><span role="presentation"></span></summary>'
    ...     "</details></li>"
    ... )
    >>> print(name_toggles(sidebar).split("<details>")[1].split(">")[0])
    <summary aria-label="Sections of 3. Cross-correlation"
    """
    if not isinstance(html, str):
        raise TypeError(f"html must be a str, got {type(html).__name__}")
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for summary in soup.find_all("summary"):
        if summary.get_text(strip=True) or summary.get("aria-label"):
            continue
        item = summary.find_parent("li")
        link = item.find("a") if item is not None else None
        title = " ".join(link.get_text().split()) if link is not None else ""
        summary["aria-label"] = f"Sections of {title}" if title else "Sections"
    return str(soup)


def _named_toctree(generate):
    """pydata-sphinx-theme's ``generate_toctree_html``, its toggles named."""

    def generate_toctree_html(*args, **kwargs):
        html = generate(*args, **kwargs)
        if not isinstance(html, str):  # kind="raw": a BeautifulSoup object
            return html
        from markupsafe import Markup

        return Markup(name_toggles(str(html)))

    return generate_toctree_html


def _fix_page(app, pagename, templatename, context, doctree) -> None:
    generate = context.get("generate_toctree_html")
    if generate is not None:
        context["generate_toctree_html"] = _named_toctree(generate)
    if isinstance(context.get("body"), str):
        context["body"] = BIBLIOENTRY.sub(r'\1 role="listitem"', context["body"])


def _add_templates(app, config) -> None:
    config.templates_path = [str(TEMPLATES), *config.templates_path]


def setup(app):
    from myst_nb.sphinx_ import HideCodeCellNode

    app.setup_extension("myst_nb")
    app.add_node(
        HideCodeCellNode,
        override=True,
        html=(visit_hidden_cell, depart_hidden_cell),
    )
    app.connect("config-inited", _add_templates)
    # After pydata-sphinx-theme (default priority) has added its toctree functions.
    app.connect("html-page-context", _fix_page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
