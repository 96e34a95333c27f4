"""The built book's widgets without a kernel, and the book's weight (after the build).

    jupyter-book build .
    python -m pytest -m browser tests/book/test_players_in_browser.py

The build draws every widget as a static frame player (``convbn.widgets``,
``CONVBN_STATIC_WIDGETS=1``). In headless Chromium with every request off the local
server refused, each player on each page is driven through every value of every
control, by keyboard for sliders and check boxes and by selection for menus; after
each change the test checks that the page shows the frame the manifest gives for
that state (the other controls back at their defaults, as the caption says), that
the frame is loaded, that each control changes the figure, and, for the plots whose
arguments all show on the page, that the frame shown is, pixel for pixel, the
figure the plot function draws for those values here. The weight test sums each
page's HTML and the images it shows.
"""

from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image
from test_browser import HTML, Visit, browser, pages, require_book, site  # noqa: F401

from convbn import plotting, widgets

pytestmark = pytest.mark.browser

#: Budget of one page: its HTML and every image it shows (scripts and styles that
#: every page shares, MathJax and the theme's, are not counted).
PAGE_BUDGET = 4_000_000
#: Budget of the whole built book.
BOOK_BUDGET = 150_000_000


def player_pages() -> list[Path]:
    return [p for p in pages() if 'class="convbn-player"' in p.read_text()]


MANIFESTS_JS = """
() => Array.from(document.querySelectorAll("figure.convbn-player")).map(root => ({
  id: root.id,
  data: JSON.parse(root.querySelector("script.convbn-player-data").textContent),
}))
"""

SHOWN_JS = """
(id) => {
  const root = document.getElementById(id);
  const frames = Array.from(root.querySelectorAll("img.convbn-player-frame"));
  const visible = frames.filter(img => img.getClientRects().length > 0);
  const inputs = Array.from(root.querySelectorAll("[data-control]"));
  return {
    state: root.dataset.state,
    visible: visible.map(img => frames.indexOf(img)),
    loaded: visible.every(img => img.complete && img.naturalWidth > 0),
    src: visible.length ? visible[0].src : null,
    shown: inputs.map(input => input.type === "checkbox" ? (input.checked ? 1 : 0)
                                                          : Number(input.value)),
    readouts: inputs.filter(input => input.type === "range").map(input =>
      [input.getAttribute("aria-valuetext"),
       root.querySelector("output[for='" + input.id + "']").textContent]),
  };
}
"""


def redraw(plot: dict, key: str) -> np.ndarray:
    """The plot function's figure for a state, as the frame was encoded."""
    with mpl.rc_context(plotting.STYLE):
        function = getattr(plotting, plot["function"])
        fig = function(**plot["fixed"], **plot["kwargs"][key])
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=widgets.FRAME_DPI)
        plt.close(fig)
    return np.asarray(Image.open(buffer).convert("RGBA"))


def decode(src: str) -> np.ndarray:
    data = base64.b64decode(src.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def check(page, uid: str, data: dict, position: int, index: int, redrawn: set):
    """The player shows state ``index`` of control ``position``, the other controls
    at their defaults; returns the state's key and the shown frame's source."""
    state = list(data["defaults"])
    state[position] = index
    key = ",".join(map(str, state))
    shown = page.evaluate(SHOWN_JS, uid)
    assert shown["state"] == key
    assert shown["shown"] == state, "the other controls were not reset"
    assert shown["visible"] == [data["states"][key]], key
    assert shown["loaded"], f"frame of {key} not loaded"
    ranges = [
        i
        for i in range(len(state))
        if page.locator(f"#{uid}-{i}").get_attribute("type") == "range"
    ]
    for (label, output), i in zip(shown["readouts"], ranges, strict=True):
        assert label == output == data["labels"][i][state[i]]
    plot = data.get("plot")
    if plot is not None and key not in redrawn:
        redrawn.add(key)
        np.testing.assert_array_equal(
            decode(shown["src"]), redraw(plot, key), err_msg=key
        )
    return key, shown["src"]


def drive(control, count: int, default: int):
    """Move a control through every value of its grid, yielding each index: sliders
    and check boxes by keyboard, menus by selection."""
    kind = control.get_attribute("type") or "select"
    if kind == "range":
        control.focus()
        control.press("End")  # a key that changes the value: the others reset
        control.press("Home")
        yield 0
        for index in range(1, count):
            control.press("ArrowRight")
            yield index
    elif kind == "checkbox":
        for index in (1 - default, default):
            control.focus()
            control.press("Space")
            yield index
    else:
        for index in [*range(count), default]:
            control.select_option(value=str(index))
            yield index


def test_every_widget_of_the_book_is_a_player():
    """No page embeds a live widget view (it would be dead without a kernel); the
    notebooks' widgets are all players."""
    require_book()
    views = [
        p.name
        for p in pages()
        if "application/vnd.jupyter.widget-view+json" in p.read_text()
    ]
    assert views == []
    players = sum(p.read_text().count('class="convbn-player"') for p in pages())
    calls = 0
    for notebook in (HTML.parent.parent / "chapters").rglob("*.ipynb"):
        text = notebook.read_text()
        calls += len(re.findall(r"widgets\.\w+(?:_widget|_explorer|_stepper)\(", text))
    print(f"\n{players} players in the book, {calls} widget calls in the notebooks")
    assert players == calls > 0


@pytest.mark.parametrize("path", player_pages(), ids=lambda p: p.parent.name)
def test_every_control_of_every_player_changes_the_figure(browser, site, path):  # noqa: F811
    visit = Visit(browser, site, path)
    page = visit.page
    responding = shown = redraws = 0
    try:
        players = page.evaluate(MANIFESTS_JS)
        assert players
        for player in players:
            uid, data = player["id"], player["data"]
            defaults = data["defaults"]
            visited, changed, redrawn = set(), [0] * len(defaults), set()
            for position, labels in enumerate(data["labels"]):
                control = page.locator(f"#{uid}-{position}")
                src = page.evaluate(SHOWN_JS, uid)["src"]
                for index in drive(control, len(labels), defaults[position]):
                    key, new = check(page, uid, data, position, index, redrawn)
                    visited.add(key)
                    changed[position] += new != src
                    src = new
            assert visited == set(data["states"]), "states no control reaches"
            assert all(changed), f"a control of {uid} never changes the figure"
            responding += 1
            shown, redraws = shown + len(visited), redraws + len(redrawn)
        assert visit.errors == []
        assert visit.refused == [], "the page asked the network for " + ", ".join(
            sorted(set(visit.refused))
        )
        print(
            f"\n{path.parent.name}/{path.name}: {responding} players respond; "
            f"{shown} states shown, {redraws} of them redrawn by the plot function"
        )
    finally:
        visit.close()


class Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.sources: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img" and attrs.get("src"):
            self.sources.append(attrs["src"])
        if tag == "source" and attrs.get("srcset"):
            self.sources += [s.split()[0] for s in attrs["srcset"].split(",")]


def page_weight(path: Path) -> int:
    """The page's HTML (with its embedded frames) and the local images it shows."""
    parser = Images()
    parser.feed(path.read_text())
    files = set()
    for source in parser.sources:
        if source.startswith("data:"):
            continue  # inside the HTML, counted with it
        target = urlparse(source)
        assert not target.scheme, f"{path.name} shows a remote image {source}"
        files.add((path.parent / unquote(target.path)).resolve())
    return path.stat().st_size + sum(f.stat().st_size for f in files)


def test_page_weight_and_book_size():
    require_book()
    weights = {
        p.relative_to(HTML).as_posix(): page_weight(p) for p in HTML.rglob("*.html")
    }
    heaviest = max(weights, key=weights.get)
    total = sum(f.stat().st_size for f in HTML.rglob("*") if f.is_file())
    print(
        f"\nheaviest page: {heaviest}, {weights[heaviest] / 1e6:.2f} MB; "
        f"{len(weights)} pages; _build/html: {total / 1e6:.1f} MB"
    )
    over = {p: w for p, w in weights.items() if w > PAGE_BUDGET}
    assert over == {}, f"pages over {PAGE_BUDGET / 1e6:g} MB: {over}"
    assert total < BOOK_BUDGET
