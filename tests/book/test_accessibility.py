"""Every page of the built book passes axe-core's WCAG 2.1 A/AA rules (after the build).

    jupyter-book build . && python -m pytest -m browser tests/book/test_accessibility.py

Each page of ``_build/html`` is opened in headless Chromium, offline, in the light and
in the dark theme (the reader's system setting, which the theme follows), once MathJax
has typeset it and its widgets are drawn. axe-core, from ``node_modules`` (package.json
pins it as a devDependency; it is not part of the book), is injected into the page and
run with the tags ``wcag2a, wcag2aa, wcag21a, wcag21aa``. The test fails on any
violation of impact ``critical`` or ``serious`` and prints, per page, the rule, its
impact, how many elements break it and a few of their selectors.

Every run also writes ``_build/accessibility.json``: per theme and rule, how many
elements of how many pages break it (all impacts, so the minor and moderate ones are
on record too), and the number of pages checked.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest
import test_browser as base

from conftest import ROOT

pytestmark = pytest.mark.browser

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
    yield counts, checked
    if not any(checked.values()):
        return
    report = {
        "axe_core": json.loads((AXE.parent / "package.json").read_text())["version"],
        "tags": TAGS,
        "pages_checked": {theme: len(found) for theme, found in checked.items()},
        "violations": {
            theme: {
                rule: dict(counter) for rule, counter in sorted(counts[theme].items())
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


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("path", pages(), ids=lambda p: str(p.relative_to(HTML)))
def test_page_has_no_serious_accessibility_violation(
    browser, site, summary, path, theme
):
    counts, checked = summary
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
    failing = [rule for rule in violations if rule["impact"] in FAILING]
    assert failing == [], (
        f"{path.relative_to(HTML)} ({theme} theme) breaks WCAG 2.1 A/AA:\n"
        + describe(failing)
    )
