"""JupyterLab, as Binder opens it, in headless Chromium (for test_binder.py).

:func:`serve` starts ``jupyter lab`` from an environment's ``bin/`` on 127.0.0.1
with a token, on a copy of some chapter folders (so running cells and JupyterLab's
autosave never write into the repository), with user settings, workspaces and
runtime files of its own. The environment's own settings
(``share/jupyter/lab/settings/overrides.json``, what ``binder/postBuild``
installs) are what is tested; the only user setting the test adds is
``windowingMode: "none"``, so that every cell is in the page, not just those
scrolled into view. :func:`open_and_run` opens a notebook at 1,280 x 900 px, runs
all its cells and returns what the page shows: errors, the news prompt, each widget
figure's box against its output area's and the notebook column's, and whether
moving each slider changed the figure.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

#: What JupyterLab's news prompt says (a toast notification).
NEWS = "official Jupyter news"

#: Measures every widget in the page: the figure (img or svg) of each widget's
#: output, its box, its output area's and the notebook's column.
_MEASURE = """() => {
  const box = (e) => { const r = e.getBoundingClientRect();
    return {left: r.left, right: r.right, width: r.width}; };
  const column = document.querySelector('.jp-NotebookPanel-notebook .jp-Cell');
  return [...document.querySelectorAll('.widget-interact')].map((w) => {
    const area = w.closest('.jp-OutputArea-output') || w;
    const figure = w.querySelector('.widget-output img, .widget-output svg');
    return {
      figure: figure ? box(figure) : null,
      area: box(area),
      column: box(column),
      scrolls: area.scrollWidth > area.clientWidth + 1,
      sliders: w.querySelectorAll('.widget-slider').length,
    };
  });
}"""

#: The figure of the widget ``i`` as text (its img source or its svg markup).
_FIGURE = """(i) => {
  const w = document.querySelectorAll('.widget-interact')[i];
  const f = w && w.querySelector('.widget-output img, .widget-output svg');
  return f ? (f.getAttribute('src') || f.outerHTML) : null;
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(bin_dir: Path, root: Path, chapters, where: Path, environ=None):
    """``jupyter lab`` from ``bin_dir`` on a copy of ``root/chapters/<chapters>``.

    Yields ``(base_url, token)``; stops the server (its own process) afterwards.
    """
    notebooks = where / "notebooks"
    for chapter in chapters:
        shutil.copytree(root / "chapters" / chapter, notebooks / chapter)
    settings = where / "user-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text(
        json.dumps({"windowingMode": "none"})
    )
    token, port = secrets.token_hex(16), _free_port()
    env = {
        **(environ or os.environ),
        "JUPYTERLAB_SETTINGS_DIR": str(where / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(where / "workspaces"),
        "JUPYTER_CONFIG_DIR": str(where / "config"),
        "JUPYTER_RUNTIME_DIR": str(where / "runtime"),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    log = (where / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [
            str(Path(bin_dir) / "jupyter"),
            "lab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            f"--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={notebooks}",
            "--LabApp.expose_app_in_browser=True",
            "--ServerApp.allow_root=True",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                url = f"{base}/api/status?token={token}"
                with urllib.request.urlopen(url, timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        "JupyterLab did not start:\n"
                        + (where / "jupyterlab.log").read_text()[-3000:]
                    ) from None
                time.sleep(0.5)
        yield base, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def notification_settings(base: str, token: str) -> dict:
    """The notification settings' defaults JupyterLab's server hands the page: the
    schema's, with the environment's ``overrides.json`` applied (the user's own
    settings, none here, would come on top)."""
    url = (
        f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification"
        f"?token={token}"
    )
    with urllib.request.urlopen(url, timeout=30) as response:
        schema = json.loads(response.read())["schema"]
    return {name: spec.get("default") for name, spec in schema["properties"].items()}


def open_and_run(browser, base: str, token: str, notebook: str, shots: Path) -> dict:
    """Open ``notebook`` (a path under the served folder) at 1,280 px, run all its
    cells, move every slider; what the page showed (see the module docstring)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        # ?reset: a fresh workspace, not the previous page's open notebooks.
        page.goto(f"{base}/lab/tree/{notebook}?reset&token={token}", wait_until="load")
        page.wait_for_function(
            "(path) => window.jupyterapp && jupyterapp.shell.currentWidget"
            " && jupyterapp.shell.currentWidget.context"
            " && jupyterapp.shell.currentWidget.context.path === path"
            " && jupyterapp.shell.currentWidget.sessionContext.session"
            " && jupyterapp.shell.currentWidget.sessionContext.session.kernel"
            " && jupyterapp.shell.currentWidget.sessionContext.session.kernel"
            ".connectionStatus === 'connected'",
            arg=notebook,
            timeout=120_000,
        )
        page.evaluate(
            """async () => {
              const panel = jupyterapp.shell.currentWidget;
              await panel.context.ready;
              await panel.sessionContext.ready;
              await jupyterapp.commands.execute('notebook:run-all-cells');
            }"""
        )
        # Done when every code cell has run, or a cell failed (JupyterLab stops
        # there) and nothing is running any more.
        done = """() => {
              const nb = jupyterapp.shell.currentWidget.content;
              const code = nb.model.sharedModel.cells.filter(
                (c) => c.cell_type === 'code');
              const kernel = jupyterapp.shell.currentWidget.sessionContext
                .session.kernel;
              const running = [...document.querySelectorAll('.jp-InputPrompt')]
                .some((p) => p.textContent.includes('*'));
              const failed = code.some((c) => c.outputs.some(
                (o) => o.output_type === 'error'));
              return kernel.status === 'idle' && !running && (failed
                || code.every((c) => c.execution_count !== null));
            }"""
        try:
            page.wait_for_function(done, timeout=600_000, polling=1000)
        except Exception as error:  # playwright's TimeoutError: say where it stopped
            page.screenshot(path=str(shots / (notebook.replace("/", "_") + ".png")))
            state = page.evaluate(
                """() => { const w = jupyterapp.shell.currentWidget;
                  const code = w.content.model.sharedModel.cells.filter(
                    (c) => c.cell_type === 'code');
                  const waiting = code.filter((c) => c.execution_count === null);
                  return {kernel: w.sessionContext.session.kernel.status,
                    waiting: waiting.length, of: code.length,
                    first: waiting.length ? waiting[0].source.slice(0, 200) : ''}; }"""
            )
            raise AssertionError(
                f"{notebook} did not finish running: {state}"
            ) from error
        page.wait_for_timeout(1500)
        error_texts = page.evaluate(
            """() => jupyterapp.shell.currentWidget.content.model.sharedModel.cells
              .filter((c) => c.cell_type === 'code')
              .flatMap((c) => c.outputs)
              .filter((o) => o.output_type === 'error')
              .map((o) => o.ename + ': ' + o.evalue)"""
        )
        widgets = page.evaluate(_MEASURE)
        moved = []
        sliders = page.locator(".widget-interact .widget-slider")
        for index in range(sliders.count()):
            slider = sliders.nth(index)
            owner = slider.evaluate(
                "(s) => [...document.querySelectorAll('.widget-interact')]"
                ".indexOf(s.closest('.widget-interact'))"
            )
            before = page.evaluate(_FIGURE, owner)
            handle = slider.locator(".noUi-handle").first
            handle.scroll_into_view_if_needed()
            readout = slider.locator(".widget-readout").first
            value = readout.inner_text()
            handle.focus()
            page.keyboard.press("End")  # to the maximum, or, if it was there,
            page.wait_for_timeout(300)
            if readout.inner_text() == value:
                page.keyboard.press("Home")  # to the minimum
            label = slider.locator(".widget-label").first.inner_text()
            try:
                page.wait_for_function(
                    "([i, before]) => { const w = document.querySelectorAll("
                    "'.widget-interact')[i]; const f = w && w.querySelector("
                    "'.widget-output img, .widget-output svg'); const now = f &&"
                    " (f.getAttribute('src') || f.outerHTML); return now && now !== "
                    "before; }",
                    arg=[owner, before],
                    timeout=60_000,
                )
                moved.append((label, True))
            except Exception:  # playwright's TimeoutError: the figure stayed
                moved.append((label, False))
        news = page.get_by_text(NEWS).count()
        page.screenshot(path=str(shots / (notebook.replace("/", "_") + ".png")))
        return {
            "errors": errors + error_texts,
            "news": news,
            "widgets": widgets,
            "moved": moved,
        }
    finally:
        context.close()
