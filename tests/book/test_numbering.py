"""convbn_tools.numbering: figures and equations are numbered per chapter.

The unit tests run on Sphinx's data structure; the tests on ``_build/html`` (marked
``browser``: they need the built book) read the numbers the reader sees.
"""

from __future__ import annotations

import re

import pytest
import yaml
from environments import require

from conftest import ROOT
from convbn_tools import numbering

HTML = ROOT / "_build" / "html"


def test_the_chapter_comes_from_the_folder():
    assert numbering.chapter_of("chapters/03_cross_correlation/index") == 3
    assert numbering.chapter_of("chapters/12_cnn_end_to_end/exercises") == 12
    # An unnumbered page belongs to its folder's chapter: the primer, before ch. 3.
    assert numbering.chapter_of("chapters/03_cross_correlation/keras_primer") == 3
    assert numbering.chapter_of("chapters/appendix/performance") == "A"
    assert numbering.chapter_of("intro") is None
    assert numbering.chapter_of("chapters/notes") is None


#: What Sphinx numbers in a notebook: figures (directives, glue, myst-nb's cell
#: metadata), tables, captioned code blocks and labelled equations.
NUMBERED = re.compile(
    r"\{(figure|table|list-table|csv-table|math|glue:figure)\}|:caption:"
    r"|\$\$\s*\(|\"figure\":"
)


def test_the_keras_primer_numbers_nothing():
    """The primer sits in chapter 3's folder and is read before its lesson: a figure
    or equation there would take Fig. 3.1 or (3.1) from chapter 3."""
    toc = (ROOT / "_toc.yml").read_text()
    primer = "chapters/03_cross_correlation/keras_primer"
    assert toc.index(primer) < toc.index("chapters/03_cross_correlation/index")
    text = (ROOT / f"{primer}.ipynb").read_text()
    assert NUMBERED.search(text) is None, NUMBERED.search(text)


def test_bad_input_is_named():
    with pytest.raises(TypeError, match="docname must be a str, got int"):
        numbering.chapter_of(3)
    with pytest.raises(TypeError, match="fignumbers must be a dict"):
        numbering.per_chapter([("chapters/03_x/index", {})])


def test_numbers_restart_in_each_chapter_in_reading_order():
    # As Sphinx counts without a numbered toctree: across the book, per type.
    book = {
        "intro": {"figure": {"f0": (1,)}},
        "chapters/03_x/index": {
            "figure": {"f2": (3,), "f1": (2,)},
            "displaymath": {"e1": (1,), "e2": (2,)},
        },
        # A chapter's second page continues the chapter's count.
        "chapters/03_x/exercises": {"figure": {"f3": (4,)}},
        "chapters/04_y/index": {
            "figure": {"f4": (5,)},
            "table": {"t1": (1,)},
            "displaymath": {"e3": (3,)},
        },
        "chapters/appendix/performance": {"figure": {"f5": (6,)}},
    }
    numbered = numbering.per_chapter(book)
    assert numbered == {
        "intro": {"figure": {"f0": (1,)}},
        "chapters/03_x/index": {
            "figure": {"f2": (3, 2), "f1": (3, 1)},
            "displaymath": {"e1": (3, 1), "e2": (3, 2)},
        },
        "chapters/03_x/exercises": {"figure": {"f3": (3, 3)}},
        "chapters/04_y/index": {
            "figure": {"f4": (4, 1)},
            "table": {"t1": (4, 1)},
            "displaymath": {"e3": (4, 1)},
        },
        "chapters/appendix/performance": {"figure": {"f5": ("A", 1)}},
    }
    assert book["chapters/04_y/index"]["figure"] == {"f4": (5,)}, "input changed"


def test_only_changed_pages_are_written_again():
    class Env:
        toc_fignumbers = {
            "chapters/03_x/index": {"figure": {"a": (3, 1)}},
            "chapters/04_y/index": {"figure": {"b": (4, 1)}},
        }

    listeners, env = numbering._Renumber(), Env()
    listeners.remember(None, env)
    # Sphinx's collector recounts across the book; a figure was added to chapter 4.
    env.toc_fignumbers = {
        "chapters/03_x/index": {"figure": {"a": (1,)}},
        "chapters/04_y/index": {"figure": {"c": (2,), "b": (3,)}},
    }
    assert listeners.renumber(None, env) == ["chapters/04_y/index"]
    assert env.toc_fignumbers["chapters/04_y/index"] == {
        "figure": {"c": (4, 1), "b": (4, 2)}
    }


def test_the_book_uses_the_extension():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert "convbn_tools.numbering" in config["sphinx"]["extra_extensions"]


def built(page: str) -> str:
    path = HTML / page
    require(path.exists(), f"{page} of the built book (run `jupyter-book build .`)")
    return path.read_text()


def captions(html: str) -> dict[str, str]:
    """Figure id -> its caption number ("Fig. 3.1")."""
    bs4 = pytest.importorskip("bs4")
    soup = bs4.BeautifulSoup(html, "html.parser")
    return {
        figure["id"]: figure.select_one(".caption-number").get_text().strip()
        for figure in soup.select("figure[id]")
        if figure.select_one(".caption-number")
    }


def equations(html: str) -> dict[str, str]:
    """Equation label -> its number as printed ("(3.3)")."""
    bs4 = pytest.importorskip("bs4")
    soup = bs4.BeautifulSoup(html, "html.parser")
    found = {}
    for block in soup.select("div.math[id^=equation-]"):
        eqno = block.select_one(".eqno")
        if eqno is not None:  # its text, without the headerlink's
            text = "".join(eqno.find_all(string=True, recursive=False))
            found[block["id"].removeprefix("equation-")] = text.strip()
    return found


@pytest.mark.browser
@pytest.mark.parametrize(
    ("page", "figure", "fig_number", "label", "eq_number"),
    [
        ("03_cross_correlation", "ch03-step", "Fig. 3.1", "eq-ch03-flip", "(3.3)"),
        ("02_discrete_convolution", "ch02-fig-9-1", "Fig. 2.1", "eq-ch02-2d", None),
        ("08_batch_normalization", None, "Fig. 8.1", "eq-ch08-two-parts", "(8.1)"),
    ],
)
def test_the_reader_sees_chapter_numbers(page, figure, fig_number, label, eq_number):
    html = built(f"chapters/{page}/index.html")
    chapter = int(page[:2])
    found, maths = captions(html), equations(html)
    assert found and maths, f"no numbered figure or equation on {page}"
    # The first figure of the chapter is Fig. N.1, whatever chapter came before.
    numbers = list(found.values())
    assert numbers[0] == fig_number
    if figure is not None:
        assert found[figure] == fig_number
    if eq_number is not None:
        assert maths[label] == eq_number
    # Every figure and equation of the page carries the chapter's number, counted
    # 1, 2, ... down the page.
    assert numbers == [f"Fig. {chapter}.{k}" for k in range(1, len(numbers) + 1)]
    eqnos = list(maths.values())
    assert eqnos == [f"({chapter}.{k})" for k in range(1, len(eqnos) + 1)]
    # References in the text read chapter numbers too, and the same as the captions.
    links = re.findall(r'<span class="std std-numref">([^<]+)</span>', html)
    assert all(re.fullmatch(r"Fig\. \d+\.\d+", text) for text in links), links
    assert {text for text in links if text.startswith(f"Fig. {chapter}.")} <= set(
        numbers
    )


@pytest.mark.browser
def test_no_figure_of_a_chapter_is_numbered_across_the_book():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [
        entry["file"]
        for part in toc["parts"]
        for chapter in part["chapters"]
        for entry in [chapter, *chapter.get("sections", [])]
    ]
    checked = 0
    for file in files:
        chapter = numbering.chapter_of(file)
        if chapter is None:
            continue
        for number in captions(built(f"{file}.html")).values():
            assert number.startswith(f"Fig. {chapter}."), (file, number)
            checked += 1
    assert checked >= 50
