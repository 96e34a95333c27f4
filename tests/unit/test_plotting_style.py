"""The figure style (convbn.plotting.style) and the package's re-exports."""

import importlib

import matplotlib as mpl
import numpy as np
import pytest

from convbn import plotting


def test_setup_applies_the_colour_blind_safe_style():
    plotting.setup()
    cycle = [c["color"] for c in mpl.rcParams["axes.prop_cycle"]]
    assert cycle[:3] == [plotting.OKABE_ITO[k] for k in ("blue", "orange", "green")]
    assert mpl.rcParams["image.cmap"] == "cividis"
    assert mpl.rcParams["savefig.facecolor"] == "white"  # readable on the dark theme


def test_show_images_lays_out_panels_with_titles():
    fig = plotting.show_images(
        [np.zeros((4, 4)), np.ones((3, 5)), np.eye(3)], titles=["a", "b", "c"], ncols=2
    )
    axes = fig.get_axes()
    assert len(axes) == 4 and [ax.get_title() for ax in axes[:3]] == ["a", "b", "c"]
    assert len(axes[0].images) == 1 and len(axes[3].images) == 0


def test_show_matrix_annotates_every_cell_with_contrasting_text():
    values = np.array([[0, 1, 2], [3, 4, 5]])
    fig = plotting.show_matrix(values, highlight=(0, 1, 2, 2), title="M")
    ax = fig.get_axes()[0]
    assert [t.get_text() for t in ax.texts] == ["0", "1", "2", "3", "4", "5"]
    assert ax.texts[0].get_color() == "white" and ax.texts[-1].get_color() == "black"
    assert len(ax.patches) == 1 and ax.get_title() == "M"


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: plotting.show_images([]), ValueError, "at least one"),
        (
            lambda: plotting.show_images([np.zeros(3)]),
            ValueError,
            "images\\[0\\] must be a 2-D",
        ),
        (
            lambda: plotting.show_images([np.zeros((2, 2))], titles=["a", "b"]),
            ValueError,
            "titles must have one entry per image",
        ),
        (
            lambda: plotting.show_matrix(np.zeros((2, 2, 2))),
            ValueError,
            "values must be a 1-D or 2-D",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- the package: one module per part, every public name re-exported ------------------

PARTS = ("style", "convolution", "pooling", "batchnorm", "seeded", "keras")


def test_the_package_re_exports_exactly_the_public_names_of_its_parts():
    exported = set()
    for part in PARTS:
        module = importlib.import_module(f"convbn.plotting.{part}")
        for name in module.__all__:
            assert getattr(plotting, name) is getattr(module, name), name
        exported |= set(module.__all__)
    assert exported == set(plotting.__all__)


def test_every_public_constant_is_documented_where_the_api_page_reads_it():
    pycode = pytest.importorskip("sphinx.pycode")
    analyzer = pycode.ModuleAnalyzer.for_module("convbn.plotting")
    documented = {name for _, name in analyzer.find_attr_docs()}
    constants = {name for name in plotting.__all__ if name.isupper()}
    assert constants <= documented, constants - documented
