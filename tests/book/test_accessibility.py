"""Every page of the built book passes axe-core's WCAG 2.1 A/AA rules (after the build).

    jupyter-book build . && python -m pytest -m browser tests/book/test_accessibility.py

Each page of ``_build/html`` is opened in headless Chromium, offline, in the light and
in the dark theme (the reader's system setting, which the theme follows), once MathJax
has typeset it and its widgets are drawn. axe-core, from ``node_modules`` (package.json
pins it as a devDependency; it is not part of the book), is injected into the page and
run with the tags ``wcag2a, wcag2aa, wcag21a, wcag21aa``. The test fails on any
violation of impact ``critical`` or ``serious`` and prints, per page, the rule, its
impact, how many elements break it and a few of their selectors.

The unit tests at the end check the markup ``convbn_tools.accessibility`` writes
without a browser.

Every run also writes ``_build/accessibility.json``: per theme and rule, its impact
and how many elements of how many pages break it (all impacts, so the minor and
moderate ones are on record too), and the number of pages checked.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict

import pytest
import test_browser as base
import yaml

from conftest import ROOT
from convbn_tools import accessibility

# The book on a local server and headless Chromium, as the browser test has them.
HTML, Visit, pages = base.HTML, base.Visit, base.pages
wait_for_math = base.wait_for_math
site, browser = base.site, base.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING = ("critical", "serious")
THEMES = ("light", "dark")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
SUMMARY = ROOT / "_build" / "accessibility.json"

RUN_AXE = """
async (tags) => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations.map((rule) => ({
    id: rule.id,
    impact: rule.impact,
    help: rule.help,
    targets: rule.nodes.map((node) => node.target.join(" ")),
  }));
}
"""


@pytest.fixture(scope="module")
def summary():
    """Per theme and rule: elements and pages that break it; written at the end."""
    counts = {theme: defaultdict(Counter) for theme in THEMES}
    checked = {theme: set() for theme in THEMES}
    impacts: dict[str, str] = {}
    yield counts, checked, impacts
    if not any(checked.values()):
        return
    report = {
        "axe_core": json.loads((AXE.parent / "package.json").read_text())["version"],
        "tags": TAGS,
        "pages_checked": {theme: len(found) for theme, found in checked.items()},
        "violations": {
            theme: {
                rule: {"impact": impacts[rule], **counter}
                for rule, counter in sorted(counts[theme].items())
            }
            for theme in THEMES
        },
    }
    SUMMARY.parent.mkdir(parents=True, exist_ok=True)
    SUMMARY.write_text(json.dumps(report, indent=1) + "\n")


def audit(page) -> list[dict]:
    """axe-core's WCAG 2.1 A/AA violations on the page as it is now."""
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed ({AXE} is missing): run `npm ci`")
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE, TAGS)


def describe(violations: list[dict]) -> str:
    lines = []
    for rule in violations:
        shown = ", ".join(rule["targets"][:3])
        more = len(rule["targets"]) - 3
        lines.append(
            f"  {rule['id']} ({rule['impact']}, {len(rule['targets'])} elements): "
            f"{rule['help']}; e.g. {shown}" + (f" and {more} more" if more > 0 else "")
        )
    return "\n".join(lines)


def test_axe_core_is_pinned():
    package = json.loads((ROOT / "package.json").read_text())
    version = package["devDependencies"]["axe-core"]
    assert version[0].isdigit(), f"axe-core is not pinned to one version: {version}"
    lock = json.loads((ROOT / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/axe-core"]["version"] == version


@pytest.mark.browser
@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("path", pages(), ids=lambda p: str(p.relative_to(HTML)))
def test_page_has_no_serious_accessibility_violation(
    browser, site, summary, path, theme
):
    counts, checked, impacts = summary
    visit = Visit(browser, site, path, dark=theme == "dark")
    page = visit.page
    try:
        assert page.evaluate("() => document.documentElement.dataset.theme") == theme
        wait_for_math(page)
        if page.locator(f'script[type="{WIDGET_VIEW}"]').count():
            page.wait_for_selector(".jupyter-widgets", timeout=30_000)
            page.wait_for_timeout(500)
        violations = audit(page)
    finally:
        visit.close()
    checked[theme].add(path)
    for rule in violations:
        counts[theme][rule["id"]]["elements"] += len(rule["targets"])
        counts[theme][rule["id"]]["pages"] += 1
        impacts[rule["id"]] = rule["impact"]
    failing = [rule for rule in violations if rule["impact"] in FAILING]
    assert failing == [], (
        f"{path.relative_to(HTML)} ({theme} theme) breaks WCAG 2.1 A/AA:\n"
        + describe(failing)
    )


class Translator:
    """What a Sphinx HTML translator offers the visitors: a body to append to."""

    def __init__(self):
        self.body: list[str] = []


def test_code_toggles_are_named_by_their_visible_text():
    node = {
        "classes": ["above-input"],
        "prompt_show": "Show code cell <source>",
        "prompt_hide": "Hide code cell <source>",
    }
    translator = Translator()
    accessibility.visit_hidden_cell(translator, node)
    accessibility.depart_hidden_cell(translator, node)
    html = "".join(translator.body)
    assert html.startswith('<details class="admonition hide above-input">')
    assert "<summary>" in html and "aria-label" not in html
    assert (
        '<p class="collapsed admonition-title">Show code cell &lt;source&gt;</p>'
        in html
    )
    assert (
        '<p class="expanded admonition-title">Hide code cell &lt;source&gt;</p>' in html
    )
    assert html.endswith("</details>\n")


def test_sidebar_toggles_are_named_after_their_chapter():
    sidebar = (
        '<ul><li class="toctree-l1"><a href="ch03.html">3. Cross-\n  correlation</a>'
        '<details><summary><span role="presentation"><i class="fa"></i></span>'
        "</summary><ul><li><a href='ex.html'>Exercises</a></li></ul></details></li>"
        "<li><details><summary>Part I</summary></details></li>"
        '<li><details><summary aria-label="Kept"></summary></details></li></ul>'
    )
    named = accessibility.name_toggles(sidebar)
    assert 'aria-label="Sections of 3. Cross- correlation"' in named
    # A summary that has a name already keeps it.
    assert "<summary>Part I</summary>" in named and 'aria-label="Kept"' in named
    assert named.count("aria-label") == 2
    with pytest.raises(TypeError, match="html must be a str, got bytes"):
        accessibility.name_toggles(sidebar.encode())


def test_each_page_gets_named_toggles_and_bibliography_list_items():
    context = {
        "generate_toctree_html": lambda kind, **kwargs: (
            '<li><a href="a.html">Appendix</a><details><summary></summary></details>'
            if kind == "sidebar"
            else None
        ),
        "body": '<div role="list" class="citation-list">\n<div class="citation" '
        'id="id7" role="doc-biblioentry">\n<span class="label">[Ioffe]</span></div>',
    }
    accessibility._fix_page(None, "references", "page.html", context, None)
    assert 'aria-label="Sections of Appendix"' in context["generate_toctree_html"](
        "sidebar"
    )
    assert context["generate_toctree_html"]("raw") is None  # not HTML: left alone
    # pydata-sphinx-theme returns a BeautifulSoup object: named in place.
    bs4 = pytest.importorskip("bs4")
    soup = bs4.BeautifulSoup(
        '<li><a href="b.html">4. Sparse</a><details><summary></summary></details></li>',
        "html.parser",
    )
    context["generate_toctree_html"] = lambda kind: soup
    accessibility._fix_page(None, "intro", "page.html", context, None)
    assert context["generate_toctree_html"]("sidebar") is soup
    assert soup.summary["aria-label"] == "Sections of 4. Sparse"
    assert 'id="id7" role="listitem"' in context["body"]
    assert "doc-biblioentry" not in context["body"]


def test_the_templates_replace_the_theme_s_buttons():
    search = (accessibility.TEMPLATES / "search-button-field.html").read_text()
    button = search[search.index("<button") :]
    assert "aria-label" not in button.split(">")[0], "the name is the button's text"
    switcher = (accessibility.TEMPLATES / "theme-switcher.html").read_text()
    icons = re.findall(r"<i [^>]*>", switcher)
    assert len(icons) == 3
    assert all('aria-hidden="true"' in i and "title=" not in i for i in icons)
    assert "aria-label=\"{{ _('Color mode') }}\"" in switcher


def test_the_book_uses_the_extension():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "convbn_tools.accessibility" in config["sphinx"]["extra_extensions"]


def test_contrast_is_wcag_s_ratio():
    assert accessibility.contrast("#ffffff", "#000000") == pytest.approx(21.0)
    assert accessibility.contrast("#777777", "#777777") == pytest.approx(1.0)
    # WCAG's example threshold: #767676 on white is just above 4.5:1.
    assert accessibility.contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)
    with pytest.raises(ValueError, match="foreground must be a colour like"):
        accessibility.contrast("green", "#ffffff")
    with pytest.raises(ValueError, match="background must be a colour like"):
        accessibility.contrast("#000000", "#fff")


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("color", ["#00af00", "#00d7ff", "#0087ff", "#ffff00"])
def test_rich_s_colours_become_readable_on_every_output_background(color, theme):
    better = accessibility.readable(color, theme)
    for background in accessibility.BACKGROUNDS[theme]:
        assert accessibility.contrast(better, background) >= 4.5
    # The nearest such colour: one step less towards black or white is not enough.
    if better != color:
        assert (
            min(
                accessibility.contrast(color, background)
                for background in accessibility.BACKGROUNDS[theme]
            )
            < 4.5
        )


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="theme must be 'light' or 'dark'"):
        accessibility.readable("#00af00", "sepia")
    with pytest.raises(ValueError, match="color must be a colour like"):
        accessibility.readable("00af00", "light")


def test_inline_colours_get_a_style_per_theme():
    body = (
        '<div class="cell_output"><pre><span style="color: #00af00; '
        'text-decoration-color: #00af00">Dense</span> <span style="font-weight: '
        'bold; color: #0087ff">relu</span> <span style="background-color: #ffff00">'
        'x</span> <span style="color: #000000">ok</span></pre></div>'
    )
    style = accessibility.contrast_style(body)
    rules = style.strip().splitlines()[1:-1]
    # Green and blue in each theme; black is readable in the light theme only;
    # a background colour is not text colour.
    assert len(rules) == 5
    assert all("!important" in rule for rule in rules)
    assert 'html[data-theme="light"] .cell_output [style^="color: #00af00"]' in style
    assert '[style*="; color: #0087ff"]' in style
    assert "#ffff00" not in style
    assert accessibility.readable("#00af00", "light") in style
    assert accessibility.contrast_style("<p>no colour</p>") == ""
