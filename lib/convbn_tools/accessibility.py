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
  (rules ``aria-required-children`` and ``aria-deprecated-role``);
* text coloured inline in cell outputs (Rich's HTML, as in Keras's
  ``model.summary()``: green #00af00 on the output's grey is 2.7:1) gets, per theme,
  the nearest colour that reaches 4.5:1 on that theme's output background, in a
  ``<style>`` on the page (rule ``color-contrast``);
* the sliders the ipywidgets embed manager draws (a ``role="slider"`` handle with no
  name) are named by their widget's label, by a script on every page, as soon as
  they appear (rule ``aria-input-field-name``), and a figure a widget draws gets the
  alt text of its cell's figure (rule ``image-alt``).

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


#: The backgrounds of cell outputs (pydata-sphinx-theme 0.17), and of the page.
BACKGROUNDS = {"light": ("#f3f4f5", "#ffffff"), "dark": ("#29313d", "#121212")}
#: WCAG 2.1 AA for normal text, with a margin for rounding.
TARGET = 4.6
#: An inline colour (not a background colour) in a style attribute.
INLINE_COLOR = re.compile(r'style="(?:[^"]*;\s*)?color:\s*(#[0-9a-fA-F]{6})\b')


def _check_color(name: str, value) -> None:
    if not (isinstance(value, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", value)):
        raise ValueError(f"{name} must be a colour like '#00af00', got {value!r}")


def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [
        c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG 2.1's contrast ratio of two ``#rrggbb`` colours, from 1 to 21.

    >>> round(contrast("#00af00", "#f3f4f5"), 2), contrast("#000000", "#ffffff")
    (2.67, 21.0)
    """
    _check_color("foreground", foreground)
    _check_color("background", background)
    light, dark = sorted((_luminance(foreground), _luminance(background)))[::-1]
    return (light + 0.05) / (dark + 0.05)


def readable(color: str, theme: str) -> str:
    """``color``, or the nearest colour towards black (light theme) or white (dark
    theme) that has a contrast of at least 4.6:1 on every background of the theme.

    >>> readable("#00af00", "light"), readable("#00af00", "dark")
    ('#008000', '#0ab20a')
    >>> readable("#000000", "light")
    '#000000'
    """
    _check_color("color", color)
    if theme not in BACKGROUNDS:
        raise ValueError(f"theme must be 'light' or 'dark', got {theme!r}")
    target = 0 if theme == "light" else 255
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    for step in range(101):
        mixed = [round(c + (target - c) * step / 100) for c in rgb]
        candidate = "#" + "".join(f"{c:02x}" for c in mixed)
        if all(contrast(candidate, bg) >= TARGET for bg in BACKGROUNDS[theme]):
            return candidate
    return "#000000" if theme == "light" else "#ffffff"


def contrast_style(body: str) -> str:
    """A ``<style>`` that gives the page's inline text colours enough contrast in
    each theme ("" if every one has already)."""
    rules = []
    for color in sorted({c.lower() for c in INLINE_COLOR.findall(body)}):
        for theme in BACKGROUNDS:
            better = readable(color, theme)
            if better == color:
                continue
            selector = ", ".join(
                f'html[data-theme="{theme}"] .cell_output [style{op}"{prefix}color: '
                f'{color}"]'
                for op, prefix in (("^=", ""), ("*=", "; "))
            )
            rules.append(
                f"{selector} {{ color: {better} !important; "
                f"text-decoration-color: {better} !important; }}"
            )
    return "<style>\n" + "\n".join(rules) + "\n</style>\n" if rules else ""


#: Names the embedded ipywidgets' slider handles after their label, and gives the
#: figures they draw their cell's alt text, when drawn.
WIDGET_JS = r"""
(function () {
  function nameSliders() {
    var handles = document.querySelectorAll(
      ".widget-slider .noUi-handle:not([aria-label])"
    );
    handles.forEach(function (handle) {
      var widget = handle.closest(".widget-slider");
      var label = widget && widget.querySelector(".widget-label");
      // MathJax-typeset labels keep their TeX in the assistive MathML's text.
      var name = label ? label.textContent.replace(/\s+/g, " ").trim() : "";
      handle.setAttribute("aria-label", name || "slider");
    });
  }
  // A figure a widget draws (an <img> in its Output) shows what the cell's own
  // figure shows: it takes that figure's alt text (from the notebook's metadata).
  function describeFigures() {
    var images = document.querySelectorAll(".cell_output img:not([alt])");
    images.forEach(function (image) {
      var cell = image.closest(".cell");
      var described = cell && cell.querySelector("img[alt]:not([alt=''])");
      var caption = cell && cell.querySelector(".caption-text");
      var controls = cell
        ? Array.from(cell.querySelectorAll(".widget-label"))
            .map(function (label) {
              return label.textContent.replace(/\s+/g, " ").trim();
            })
            .filter(Boolean)
        : [];
      image.setAttribute(
        "alt",
        described
          ? described.getAttribute("alt")
          : caption
            ? caption.textContent.trim()
            : "The figure the widget draws for the chosen " +
              (controls.length ? controls.join(", ") : "values")
      );
    });
  }
  function label() {
    nameSliders();
    describeFigures();
  }
  new MutationObserver(label).observe(document.documentElement, {
    childList: true,
    subtree: true,
  });
})();
"""


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
    _name_summaries(soup)
    return str(soup)


def _name_summaries(soup) -> None:
    for summary in soup.find_all("summary"):
        if summary.get_text(strip=True) or summary.get("aria-label"):
            continue
        item = summary.find_parent("li")
        link = item.find("a") if item is not None else None
        title = " ".join(link.get_text().split()) if link is not None else ""
        summary["aria-label"] = f"Sections of {title}" if title else "Sections"


def _named_toctree(generate):
    """pydata-sphinx-theme's ``generate_toctree_html``, its toggles named.

    The theme returns a BeautifulSoup object (cached per page), which Jinja turns
    into HTML; it is named in place.
    """

    def generate_toctree_html(*args, **kwargs):
        toctree = generate(*args, **kwargs)
        if hasattr(toctree, "find_all"):
            _name_summaries(toctree)
        elif isinstance(toctree, str) and "<summary" in toctree:
            from markupsafe import Markup

            return Markup(name_toggles(str(toctree)))
        return toctree

    return generate_toctree_html


def _fix_page(app, pagename, templatename, context, doctree) -> None:
    generate = context.get("generate_toctree_html")
    if generate is not None:
        context["generate_toctree_html"] = _named_toctree(generate)
    if isinstance(context.get("body"), str):
        body = BIBLIOENTRY.sub(r'\1 role="listitem"', context["body"])
        context["body"] = contrast_style(body) + body


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
    app.add_js_file(None, body=WIDGET_JS)
    app.connect("config-inited", _add_templates)
    # After pydata-sphinx-theme (default priority) has added its toctree functions.
    app.connect("html-page-context", _fix_page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
