"""The built book on a phone: every page reflows at 320 CSS px (after the build).

    jupyter-book build . && python -m pytest -m browser tests/book/test_reflow.py

WCAG 2.1 SC 1.4.10 (Reflow): content can be read at 320 CSS px wide without
scrolling in two dimensions. axe-core does not test it, so this test opens every
page of ``_build/html`` in headless Chromium at 320 x 800, offline, once MathJax has
typeset it, and checks that the page itself does not scroll sideways: the
document's ``scrollWidth`` is at most its ``clientWidth``. Code blocks, tables,
displayed equations and widget players may scroll inside themselves
(``_static/convbn.css``); the page may not. When a page fails, the message names the
elements to blame: those that reach past the right edge and are not inside an
element that scrolls or clips them.

The widget players must fit and work by touch at that width: on each page with
players, in a touch context, the first player lies within the page's width, and
tapping its first control (a checkbox, or the far end of a slider) shows another
frame.
"""

from __future__ import annotations

import pytest
import test_browser as base

pytestmark = pytest.mark.browser

# The book on a local server and headless Chromium, as the browser test has them.
HTML, pages, wait_for_math = base.HTML, base.pages, base.wait_for_math
site, browser = base.site, base.browser

PHONE = {"width": 320, "height": 800}

#: The elements that reach past the right edge of the page, outermost first, and
#: are not inside an element that scrolls or clips (what a reader would have to
#: scroll the page sideways to see); each with its tag, classes and width.
BLAME_JS = """
() => {
  const limit = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (p === document.body || p === document.documentElement) return false;
      if (["auto", "scroll", "hidden", "clip"].includes(s.overflowX)) return true;
    }
    return false;
  };
  const blamed = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= limit + 0.5) continue;
    if (getComputedStyle(el).position === "fixed" || clipped(el)) continue;
    if (blamed.some((outer) => outer.contains(el))) continue;
    blamed.push(el);
  }
  return blamed.slice(0, 5).map((el) => {
    const classes = el.className && el.className.baseVal === undefined
      ? "." + String(el.className).trim().split(/\\s+/).join(".") : "";
    const text = (el.textContent || "").trim().slice(0, 60);
    return `<${el.tagName.toLowerCase()}${classes}> ${Math.round(
      el.getBoundingClientRect().right)} px: "${text}"`;
  });
}
"""


def _open(chromium, url, path, touch=False):
    context = chromium.new_context(
        viewport=PHONE, has_touch=touch, is_mobile=touch, device_scale_factor=2
    )
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(url) else route.abort()
        ),
    )
    page = context.new_page()
    page.goto(url + path.relative_to(HTML).as_posix(), wait_until="load")
    wait_for_math(page)
    page.wait_for_timeout(200)
    return context, page


@pytest.mark.parametrize("path", pages(), ids=lambda p: str(p.relative_to(HTML)))
def test_page_reflows_at_320_px(browser, site, path):
    context, page = _open(browser, site, path)
    try:
        scroll, client = page.evaluate(
            "() => [document.documentElement.scrollWidth,"
            " document.documentElement.clientWidth]"
        )
        blamed = page.evaluate(BLAME_JS) if scroll > client else []
        assert scroll <= client, (
            f"the page is {scroll} px wide at {client} px; to blame:\n  "
            + "\n  ".join(blamed)
        )
    finally:
        context.close()


def player_pages():
    return [p for p in pages() if 'class="convbn-player"' in p.read_text()]


SHOWN_JS = """
(root) => Array.from(root.querySelectorAll("img.convbn-player-frame"))
  .filter((img) => img.getClientRects().length > 0)
  .map((img) => img.getAttribute("src"))
"""


@pytest.mark.parametrize("path", player_pages(), ids=lambda p: p.stem)
def test_players_fit_and_work_by_touch_at_320_px(browser, site, path):
    context, page = _open(browser, site, path, touch=True)
    try:
        player = page.locator("figure.convbn-player").first
        player.scroll_into_view_if_needed()
        box = player.bounding_box()
        width = page.evaluate("() => document.documentElement.clientWidth")
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, box
        root = player.element_handle()
        before = page.evaluate(SHOWN_JS, root)
        control = player.locator("[data-control]").first
        kind = control.get_attribute("type")
        control.scroll_into_view_if_needed()
        if kind == "range":
            handle = control.bounding_box()
            assert handle["x"] + handle["width"] <= width + 0.5, handle
            # the far end of the track: the last value
            page.touchscreen.tap(
                handle["x"] + handle["width"] - 2, handle["y"] + handle["height"] / 2
            )
        elif kind == "checkbox":
            control.tap()
        else:  # a menu: touch opens the system picker; choose as a reader would
            control.tap()
            options = control.locator("option").count()
            current = int(control.input_value())
            control.select_option(str((current + 1) % options))
        page.wait_for_timeout(100)
        after = page.evaluate(SHOWN_JS, root)
        assert len(after) == 1 and after != before, (kind, before, after)
    finally:
        context.close()
