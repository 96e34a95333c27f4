"""convbn_tools.book_assets: the book's JavaScript from npm, and the CDN fallback."""

import json
import os

import pytest
import yaml
from environments import require

from conftest import ROOT
from convbn_tools import book_assets as assets


def fake_modules(root):
    """A node_modules with the files the extension copies."""
    for name, (where, files) in assets.SOURCES.items():
        folder = root / "node_modules" / where
        folder.mkdir(parents=True)
        for file in files or ("main.js", "font.woff2", "main.js.map"):
            (folder / file).write_text(f"/* {name} */")
    (root / "package.json").write_text(json.dumps({"name": "test"}))


def test_package_json_pins_the_three_packages():
    package = json.loads((ROOT / "package.json").read_text())
    assert set(package["dependencies"]) == {
        "@jupyter-widgets/html-manager",
        "mathjax",
        "requirejs",
    }
    assert all(v[0].isdigit() for v in package["dependencies"].values())
    assert (ROOT / "package-lock.json").exists()


def test_without_node_the_build_is_told_why(tmp_path, monkeypatch):
    (tmp_path / "package.json").write_text("{}")
    monkeypatch.setattr(assets.shutil, "which", lambda name: None)
    problem = assets.stage(tmp_path, tmp_path / "out")
    assert problem == "Node.js/npm is not installed"
    assert not (tmp_path / "out").exists()


def test_without_package_json_nothing_is_attempted(tmp_path):
    assert "no package.json" in assets.stage(tmp_path, tmp_path / "out")


def test_assets_are_copied_once_without_source_maps(tmp_path):
    fake_modules(tmp_path)
    target = tmp_path / "book_assets"
    assert assets.stage(tmp_path, target) is None
    dist = target / "assets" / "cdn" / "@jupyter-widgets" / "html-manager" / "dist"
    assert (dist / "main.js").exists() and not (dist / "main.js.map").exists()
    assert (target / "assets" / "requirejs" / "require.js").exists()
    stamp = (target / ".stamp").read_text()
    (dist / "main.js").write_text("changed")
    assert assets.stage(tmp_path, target) is None  # up to date: not copied again
    assert (dist / "main.js").read_text() == "changed"
    (tmp_path / "package.json").write_text(json.dumps({"name": "other"}))
    assert assets.stage(tmp_path, target) is None  # new lock: copied afresh
    assert (dist / "main.js").read_text() != "changed"
    assert (target / ".stamp").read_text() != stamp


def test_page_scripts_are_deduplicated_and_point_at_the_local_copy():
    from sphinx.builders.html._assets import _JavaScript

    body = "const THEBE_JS_URL = 1;"
    scripts = [
        _JavaScript(None, body=body),
        _JavaScript("", body=body),  # the Sphinx 7 duplicate
        _JavaScript("../assets/requirejs/require.js"),
        _JavaScript(assets.EMBED, **{"data-jupyter-widgets-cdn": "assets/cdn/"}),
    ]
    context = {"script_files": scripts, "pathto": lambda uri, resource: "../../" + uri}
    assets._fix_scripts(None, "chapters/x/index", "page.html", context, None)
    kept = context["script_files"]
    assert sum(body == js.attributes.get("body") for js in kept) == 1
    embed = kept[-1]
    assert embed.attributes["data-jupyter-widgets-cdn"] == "../../assets/cdn/"
    config = kept[-2].attributes["body"]
    assert config == 'require.config({baseUrl: "../../assets/cdn/"});'


def test_the_config_lists_the_extensions():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    extensions = config["sphinx"]["extra_extensions"]
    assert {"convbn_tools.book_assets", "convbn_tools.kernel_poll"} <= set(extensions)


@pytest.mark.parametrize("name", ["mathjax", "requirejs"])
def test_sources_name_real_npm_folders(name):
    modules = ROOT / "node_modules"
    require(modules.exists(), "node_modules (run `npm ci`; .ci/run does)")
    assert (modules / name).exists()


def test_setup_turns_on_static_widgets_for_the_build_s_kernels(monkeypatch):
    """The build's kernels inherit CONVBN_STATIC_WIDGETS=1 from the Sphinx process,
    so convbn.widgets draws frame players; the variable is the one convbn reads."""
    from convbn import widgets

    class App:
        outdir = "/book/_build/html"

        def add_js_file(self, *args, **kwargs):
            pass

        def connect(self, *args, **kwargs):
            pass

    monkeypatch.delenv(widgets.STATIC_ENV, raising=False)
    monkeypatch.delenv(widgets.PLAYER_DATA_ENV, raising=False)
    assert not widgets.static_mode()
    assets.setup(App())
    assert assets.STATIC_WIDGETS[0] == widgets.STATIC_ENV
    assert widgets.static_mode()
    # players with data bound to their plot record it next to the HTML
    assert assets.PLAYER_DATA[0] == widgets.PLAYER_DATA_ENV
    assert os.environ[widgets.PLAYER_DATA_ENV] == "/book/_build/players"
