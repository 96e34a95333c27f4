"""The built book in a real browser, with the network off (run after the build).

    jupyter-book build . && python -m pytest -m browser

Headless Chromium (Debian's ``chromium`` package) driven by Playwright opens every
page of ``_build/html``, served from a local web server on 127.0.0.1 (as a reader's
host or ``python -m http.server`` would serve it), with every request to anywhere
else refused, and checks: no JavaScript errors, the math
typeset by MathJax (no raw TeX left), every widget's player drawn with its controls,
every image loaded, and the search page finding "cross-correlation". Screenshots of
each page go to ``_build/screenshots/`` (and a dark-theme one of each chapter).

Why Playwright rather than Selenium: it drives the system Chromium directly (no
chromedriver of a matching version, no driver download), and it exposes the browser's
console, uncaught errors and every network request to the test, which is exactly
what "works offline" has to be checked with.
"""

from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from importlib.util import find_spec
from pathlib import Path

import pytest
from environments import require

from conftest import ROOT

pytestmark = pytest.mark.browser

HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def require_book() -> None:
    """Skip (fail under ``CI=1``) unless the book is built."""
    require(
        (HTML / "index.html").exists(),
        "the built book (run `jupyter-book build .` first)",
    )


def pages() -> list[Path]:
    found = sorted((HTML / "chapters").rglob("*.html"))
    return [HTML / "intro.html", *found] if found else []


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site():
    """The built book on http://127.0.0.1:<free port>/."""
    handler = functools.partial(QuietHandler, directory=str(HTML))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    require_book()
    require(CHROMIUM, "Chromium (Debian: apt-get install chromium)")
    require(find_spec("playwright"), "Playwright (pip install -r requirements.txt)")
    import playwright.sync_api as playwright_api

    with playwright_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


class Visit:
    """One page in a fresh offline context, with what the browser reported."""

    def __init__(self, browser, site: str, path: Path, dark: bool = False):
        self.site = site
        self.context = browser.new_context(
            viewport={"width": 1280, "height": 900},
            color_scheme="dark" if dark else "light",
        )
        self.errors: list[str] = []
        self.refused: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        url = site + path.relative_to(HTML).as_posix()
        self.page.goto(url, wait_until="load")
        self.page.wait_for_timeout(300)

    def _route(self, route):
        if route.request.url.startswith(self.site):
            route.continue_()
        else:
            self.refused.append(route.request.url)
            route.abort()

    def _console(self, message):
        if message.type == "error":
            self.errors.append(message.text)

    def close(self):
        self.context.close()


def wait_for_math(page) -> None:
    """Wait until MathJax has typeset the page (if it has math)."""
    if page.locator(".math").count():
        page.wait_for_function(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise"
            " && document.querySelectorAll('mjx-container').length > 0",
            timeout=30_000,
        )
        page.evaluate("() => MathJax.startup.promise")


def test_the_book_has_pages():
    require_book()
    assert len(pages()) >= 10


@pytest.mark.parametrize("path", pages(), ids=lambda p: str(p.relative_to(HTML)))
def test_page_renders_offline(browser, site, path):
    visit = Visit(browser, site, path)
    page = visit.page
    try:
        wait_for_math(page)
        math = page.locator(".math").count()
        if math:
            assert page.locator("mjx-container").count() >= math
            text = page.locator("main").inner_text()
            assert "$$" not in text and "\\(" not in text and "\\[" not in text
        # Widgets are static players (test_players_in_browser.py moves their controls).
        for player in page.locator("figure.convbn-player").all():
            assert player.locator("img.convbn-player-frame:visible").count() == 1
            assert player.locator("[data-control]").count() >= 1
        broken = page.evaluate(
            "() => Array.from(document.images)"
            ".filter(img => !(img.complete && img.naturalWidth > 0))"
            ".map(img => img.getAttribute('src'))"
        )
        assert broken == []
        SHOTS.mkdir(parents=True, exist_ok=True)
        name = str(path.relative_to(HTML)).replace("/", "__").replace(".html", "")
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)
        assert visit.errors == []
        assert visit.refused == [], "the page asked the network for " + ", ".join(
            sorted(set(visit.refused))
        )
    finally:
        visit.close()


def test_search_finds_cross_correlation(browser, site):
    visit = Visit(browser, site, HTML / "search.html")
    try:
        visit.page.goto(site + "search.html?q=cross-correlation")
        results = visit.page.locator("#search-results li")
        results.first.wait_for(timeout=30_000)
        assert results.count() >= 1
        titles = " ".join(results.all_inner_texts()).lower()
        assert "cross-correlation" in titles
        assert visit.errors == [] and visit.refused == []
    finally:
        visit.close()


def test_launch_buttons_open_the_page_s_own_notebook():
    """Binder opens JupyterLab on the notebook of the page; Colab likewise."""
    notebooks = sorted((ROOT / "chapters").rglob("*.ipynb"))
    notebooks = [nb for nb in notebooks if "_build" not in nb.parts]
    checked = 0
    for notebook in notebooks:
        source = notebook.relative_to(ROOT).as_posix()
        page = HTML / source.replace(".ipynb", ".html")
        if not page.exists():
            continue  # not in the table of contents yet
        html = page.read_text()
        assert "mybinder.org/v2/gh/" in html
        assert f"?urlpath=lab/tree/{source}" in html, source
        assert "colab.research.google.com/github/" in html
        assert f"/blob/main/{source}" in html, source
        checked += 1
    assert checked >= 10


CORNERS_JS = """
() => Array.from(document.querySelectorAll('.cell_output img')).map(img => {
  const canvas = document.createElement('canvas');
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const context = canvas.getContext('2d');
  context.drawImage(img, 0, 0);
  // Three pixels in from each corner: SVG edges are antialiased.
  const w = img.naturalWidth - 4, h = img.naturalHeight - 4;
  return [[3, 3], [w, 3], [3, h], [w, h]].map(([x, y]) => {
    const [r, g, b, a] = context.getImageData(x, y, 1, 1).data;
    return {luminance: 0.2126 * r + 0.7152 * g + 0.0722 * b, alpha: a};
  });
})
"""


@pytest.mark.parametrize(
    "path",
    [p for p in pages() if p.name == "index.html"],
    ids=lambda p: str(p.relative_to(HTML)),
)
def test_figures_stay_readable_in_the_dark_theme(browser, site, path):
    """In dark mode every figure keeps its own opaque white background, so black
    axes and text never end up on the dark page colour."""
    visit = Visit(browser, site, path, dark=True)
    page = visit.page
    try:
        assert page.evaluate("() => document.documentElement.dataset.theme") == "dark"
        for corners in page.evaluate(CORNERS_JS):
            for corner in corners:
                assert corner["alpha"] == 255 and corner["luminance"] > 200
        dark = SHOTS / "dark"
        dark.mkdir(parents=True, exist_ok=True)
        name = str(path.relative_to(HTML)).replace("/", "__").replace(".html", "")
        page.screenshot(path=str(dark / f"{name}.png"), full_page=False)
        assert visit.errors == []
    finally:
        visit.close()
