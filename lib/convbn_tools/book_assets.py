"""Serve the book's JavaScript from the book itself, not from CDNs (Sphinx extension).

By default the HTML book loads MathJax, RequireJS and the ipywidgets embed manager
from public CDNs, so a reader without a connection sees raw TeX and empty widgets.
This extension takes them from their npm packages instead (``package.json`` at the
book's root pins them):

1. if ``node_modules/`` lacks them and ``npm`` exists, it runs ``npm ci`` once;
2. it copies the files the pages need into ``_build/book_assets/assets/``, which
   ``html_extra_path`` puts at ``_build/html/assets/`` (not ``_static/``: Jupyter Book
   adds every ``.js`` file there to every page);
3. it points ``mathjax_path`` and myst-nb's ``nb_ipywidgets_js`` at those copies.

Without Node.js (or if ``npm ci`` fails) the book still builds, with the CDNs, and a
warning says so and how to fix it. Listed in ``_config.yml`` under
``sphinx: extra_extensions`` (as ``convbn_tools.book_assets``).

It also makes the widgets work without a kernel: ``setup`` sets the environment
variable ``CONVBN_STATIC_WIDGETS=1`` (``convbn.widgets.STATIC_ENV``) in the build's
process before any notebook runs, so every kernel the build starts inherits it and
``convbn.widgets.interact`` shows each widget as a static frame player (figures
precomputed over a coarse grid of its controls) instead of a live ipywidget.
Executed notebooks are cached (``execute_notebooks: cache``) by their code only: a
cache filled without the variable keeps live widgets, so build cold
(``rm -rf _build``) after changing how widgets are drawn. A player whose plot has
data bound to it (a training result, not in the page) records that data in
``_build/players/`` (``CONVBN_PLAYER_DATA``) for the test that redraws its frames.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)

#: Where each asset comes from in node_modules, and what of it to copy.
SOURCES = {
    "requirejs": ("requirejs", ("require.js",)),
    # Laid out as on a CDN: the manager finds its fonts at
    # <data-jupyter-widgets-cdn>@jupyter-widgets/html-manager/dist/.
    "cdn/@jupyter-widgets/html-manager/dist": (
        "@jupyter-widgets/html-manager/dist",
        None,
    ),
    "mathjax": ("mathjax/es5", None),
}
#: Files not needed by a browser (source maps, the unused AMD library build).
SKIP = ("*.map", "libembed-amd.js", "*.LICENSE.txt")
#: Paths as Sphinx wants them: relative to the built ``_static/`` folder.
MATHJAX = "../assets/mathjax/tex-chtml.js"
EMBED = "../assets/cdn/@jupyter-widgets/html-manager/dist/embed-amd.js"
WIDGET_JS = {
    "../assets/requirejs/require.js": {},
    # The CDN attribute is set on each page to the local copy (see _fix_scripts).
    EMBED: {"data-jupyter-widgets-cdn": "assets/cdn/"},
}


def _missing(modules: Path) -> list[str]:
    return [
        name for name, (where, _) in SOURCES.items() if not (modules / where).exists()
    ]


def _npm_ci(root: Path) -> str | None:
    """Install package.json's packages; None if it worked, else why not."""
    npm = shutil.which("npm")
    if npm is None:
        return "Node.js/npm is not installed"
    command = [npm, "ci" if (root / "package-lock.json").exists() else "install"]
    command += ["--no-audit", "--no-fund", "--ignore-scripts"]
    logger.info(f"[convbn] installing the book's JavaScript: {' '.join(command[1:])}")
    try:
        done = subprocess.run(
            command, cwd=root, capture_output=True, text=True, timeout=600
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"npm failed: {error}"
    if done.returncode != 0:
        return f"npm failed: {(done.stderr or done.stdout).strip()[-500:]}"
    return None


def _stamp(root: Path) -> str:
    lock = root / "package-lock.json"
    source = lock if lock.exists() else root / "package.json"
    layout = repr(sorted(SOURCES.items())).encode()
    return hashlib.sha256(source.read_bytes() + layout).hexdigest()


def stage(root: Path, target: Path) -> str | None:
    """Copy the assets into ``target/assets``; None if it worked, else why not."""
    if not (root / "package.json").exists():
        return f"no package.json in {root}"
    modules = root / "node_modules"
    if _missing(modules):
        problem = _npm_ci(root)
        if problem is None and _missing(modules):
            problem = f"node_modules lacks {', '.join(_missing(modules))} after npm"
        if problem:
            return problem
    stamp_file = target / ".stamp"
    if stamp_file.exists() and stamp_file.read_text() == _stamp(root):
        return None
    if target.exists():
        shutil.rmtree(target)
    for name, (where, files) in SOURCES.items():
        source, destination = modules / where, target / "assets" / name
        if files is None:
            shutil.copytree(source, destination, ignore=shutil.ignore_patterns(*SKIP))
        else:
            destination.mkdir(parents=True)
            for file in files:
                shutil.copy2(source / file, destination / file)
    stamp_file.write_text(_stamp(root))
    return None


def _configure(app, config) -> None:
    root = Path(app.confdir)
    target = Path(app.outdir).parent / "book_assets"
    problem = stage(root, target)
    if problem:
        logger.warning(
            f"[convbn] the book will load MathJax, RequireJS and the widget manager "
            f"from CDNs, so offline readers see raw TeX and no widgets: {problem}. "
            "Install Node.js and run `npm ci` in the book's folder, then rebuild."
        )
        return
    config.html_extra_path = [*config.html_extra_path, str(target)]
    config.mathjax_path = MATHJAX
    config.nb_ipywidgets_js = dict(WIDGET_JS)


def _fix_scripts(app, pagename, templatename, context, doctree) -> None:
    """Per page: drop duplicate inline scripts, and point the widget manager's CDN
    at the local copy, relative to this page.

    Sphinx 7 adds a script that an extension registers after the builder started
    twice (once as ``None``, once as ``""``; fixed in Sphinx 8.2, sphinx-doc/sphinx
    #13402), so sphinx-thebe's ``const THEBE_JS_URL`` is declared twice and the
    browser reports a SyntaxError on every page.
    """
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    from sphinx.builders.html._assets import _JavaScript

    seen, kept = set(), []
    for script in scripts:
        filename = os.fspath(script.filename or "")
        key = (filename, script.priority, sorted(script.attributes.items()))
        if repr(key) in seen:
            continue
        seen.add(repr(key))
        if filename.endswith(EMBED):
            # The manager finds its own files (fonts) through RequireJS's base URL.
            cdn = context["pathto"]("assets/cdn/", 1)
            body = f"require.config({{baseUrl: {json.dumps(cdn)}}});"
            kept.append(_JavaScript("", priority=script.priority, body=body))
            attributes = {**script.attributes, "data-jupyter-widgets-cdn": cdn}
            script = _JavaScript(filename, priority=script.priority, **attributes)
        kept.append(script)
    scripts[:] = kept


#: Two fixes for every page, run before any other script:
#: sphinx-book-theme leaves the colour mode empty on a first visit, and
#: pydata-sphinx-theme then logs "Got invalid theme mode" as a console error ("auto",
#: follow the reader's system setting, is what it falls back to anyway); and
#: ipywidgets 8's embed manager typesets widget labels with MathJax 2's
#: ``MathJax.Hub.Queue``, which MathJax 3 does not have (a TypeError per widget), so
#: once MathJax 3 has loaded it gets a ``Hub.Queue`` that calls ``typesetPromise``.
PAGE_JS = """
if (!document.documentElement.dataset.mode) {
  document.documentElement.dataset.mode = "auto";
}
document.addEventListener("DOMContentLoaded", function () {
  var mathjax = window.MathJax;
  if (mathjax && mathjax.typesetPromise && !mathjax.Hub) {
    mathjax.Hub = {
      Queue: function (job) {
        var element = job && job[2];
        mathjax.typesetPromise(element ? [element] : undefined);
      },
    };
  }
});
"""


#: Set for the build's kernels: static widget players (see convbn.widgets).
STATIC_WIDGETS = ("CONVBN_STATIC_WIDGETS", "1")
#: Also set for them: where a player whose plot has data bound to it records that
#: data (``convbn.widgets.PLAYER_DATA_ENV``), next to the built HTML, so that
#: ``tests/book/test_player_frames.py`` can redraw its frames.
PLAYER_DATA = ("CONVBN_PLAYER_DATA", "players")


def setup(app):
    os.environ[STATIC_WIDGETS[0]] = STATIC_WIDGETS[1]
    os.environ[PLAYER_DATA[0]] = str(Path(app.outdir).parent / PLAYER_DATA[1])
    app.add_js_file(None, body=PAGE_JS, priority=100)
    app.connect("config-inited", _configure)
    # After myst-nb (priority 500) has added the page's widget scripts.
    app.connect("html-page-context", _fix_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
