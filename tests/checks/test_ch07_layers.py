"""Exercise 7.3's checker (the numbers of an encoder and a decoder, written as a
function): right functions pass, each known mistake is named without the right
value, and the ways round it fail (a table of the answers, Keras, which the grader's
numpy-only run cannot import). Then the search for graded answers: no lesson page of
chapter 7, and no part of its exercises page outside the solutions, shows one."""

import json
import re

import nbformat
import numpy as np
import pytest

import convbn
from conftest import ROOT
from convbn import checks
from convbn.checks import ch07_layers

CHAPTER = ROOT / "chapters" / "07_conv_layer"
EXERCISES = CHAPTER / "exercises.ipynb"
#: The chapter's lesson pages: every notebook of its folder but the exercises.
LESSONS = sorted(p for p in CHAPTER.glob("*.ipynb") if p != EXERCISES)

#: The right answers for the pair the exercise predicts by hand.
BY_HAND = {
    "conv_params": 1824,
    "conv_shape": (23, 23, 24),
    "conv_multiply_adds": 952_200,
    "transpose_params": 1803,
    "transpose_shape": (45, 45, 3),
}


def _solution(name):
    """A function defined by the reference solutions of the exercises notebook."""
    for cell in json.loads(EXERCISES.read_text())["cells"]:
        text = "".join(cell["source"])
        if f"def {name}(" in text:
            space = {"np": np}
            exec(text, space)
            return space[name]
    raise AssertionError(f"no {name} in the exercises notebook")


#: Right: the reference solution of the exercises notebook.
layer_numbers = _solution("layer_numbers")


def layer_numbers_numpy(n, channels, filters, k, stride):
    """Right, with numpy: floats, numpy integers, lists and arrays."""
    side = np.ceil(n / stride)
    up = (side - 1) * stride + 1  # k odd: k - 2 (k // 2) = 1
    kernel = np.array([k, k, channels, filters])
    return {
        "conv_params": float(kernel.prod() + filters),
        "conv_shape": [side, side, filters],
        "conv_multiply_adds": np.int64(side**2 * kernel.prod()),
        "transpose_params": np.array([kernel.prod() + channels]),
        "transpose_shape": np.array([up, up, channels]),
    }


def test_the_right_numbers_are_what_keras_builds():
    keras = convbn.import_keras()
    rng = np.random.default_rng(11)
    cases = [*ch07_layers._CASES, *(ch07_layers._random_case(rng) for _ in range(12))]
    assert ch07_layers._CASES[0] == ch07_layers._BY_HAND == (46, 3, 24, 5, 2)
    assert ch07_layers._right(*ch07_layers._BY_HAND) == BY_HAND
    for n, c, f, k, s in cases:
        conv = keras.layers.Conv2D(f, k, strides=s, padding="same")
        transpose = keras.layers.Conv2DTranspose(
            c, k, strides=s, padding="same", output_padding=0
        )
        out = conv(np.zeros((1, n, n, c), dtype="float32"))
        up = transpose(out)
        kh, kw, c_in, c_out = conv.kernel.shape
        assert ch07_layers._right(n, c, f, k, s) == {
            "conv_params": conv.count_params(),
            "conv_shape": tuple(out.shape[1:]),
            "conv_multiply_adds": out.shape[1] * out.shape[2] * kh * kw * c_in * c_out,
            "transpose_params": transpose.count_params(),
            "transpose_shape": tuple(up.shape[1:]),
        }, (n, c, f, k, s)
    # the decoder of the pair by hand gives back 45 rows of 46; Keras's default
    # (no output_padding) would give 46
    plain = keras.layers.Conv2DTranspose(3, 5, strides=2, padding="same")
    assert tuple(plain(np.zeros((1, 23, 23, 24), "float32")).shape[1:]) == (46, 46, 3)


@pytest.mark.parametrize("solution", [layer_numbers, layer_numbers_numpy])
def test_check_layer_predictions_accepts_right_functions(solution):
    assert checks.check_layer_predictions(solution) is True
    assert checks.check_layer_predictions(solution, seed=5) is True


def replaced(name, wrong):
    """The right function, with ``name`` replaced by ``wrong(n, c, f, k, s)``."""

    def numbers(n, channels, filters, k, stride):
        right = layer_numbers(n, channels, filters, k, stride)
        return {**right, name: wrong(n, channels, filters, k, stride)}

    return numbers


def _o(n, s):
    return -(-n // s)


def _t(n, k, s):
    return (_o(n, s) - 1) * s + k - 2 * (k // 2)


MISTAKES = [
    ("conv_params", lambda n, c, f, k, s: k * k * c * f, "the biases are missing"),
    ("conv_params", lambda n, c, f, k, s: k * k * f + f, "input channels are missing"),
    ("conv_params", lambda n, c, f, k, s: k * k * c + 1, "that is one filter"),
    ("conv_params", lambda n, c, f, k, s: k * k * c * f + c, "one bias per filter"),
    ("conv_params", lambda n, c, f, k, s: k * c * f + f, r"k \* k weights, not k"),
    ("conv_params", lambda n, c, f, k, s: n * n * c * f + f, "not depend on the image"),
    ("conv_params", lambda n, c, f, k, s: k * k * c * f + f + 1, "revisit what one"),
    (
        "conv_shape",
        lambda n, c, f, k, s: ((n - k) // s + 1,) * 2 + (f,),
        "size with 'valid' padding",
    ),
    ("conv_shape", lambda n, c, f, k, s: (n // s, n // s, f), "rounded down"),
    ("conv_shape", lambda n, c, f, k, s: (n, n, f), "the stride is ignored"),
    ("conv_shape", lambda n, c, f, k, s: (_o(n, s),) * 2 + (c,), "channel per filter"),
    ("conv_shape", lambda n, c, f, k, s: (_o(n, s),) * 2, "give all three axes"),
    ("conv_shape", lambda n, c, f, k, s: (1, _o(n, s), _o(n, s), f), "batch axis"),
    ("conv_shape", lambda n, c, f, k, s: "23x23x24", "must be a shape"),
    ("conv_shape", lambda n, c, f, k, s: (23.5, 23, f), "must hold whole numbers"),
    (
        "conv_multiply_adds",
        lambda n, c, f, k, s: n * n * k * k * c * f,
        "the stride is ignored",
    ),
    (
        "conv_multiply_adds",
        lambda n, c, f, k, s: ((n - k) // s + 1) ** 2 * k * k * c * f,
        "positions of 'valid' padding",
    ),
    (
        "conv_multiply_adds",
        lambda n, c, f, k, s: (n // s) ** 2 * k * k * c * f,
        "rounded down",
    ),
    (
        "conv_multiply_adds",
        lambda n, c, f, k, s: _o(n, s) ** 2 * (k * k * c * f + f),
        "you counted the bias additions; leave them out",
    ),
    (
        "conv_multiply_adds",
        lambda n, c, f, k, s: _o(n, s) ** 2 * k * k * c,
        "that is one filter",
    ),
    (
        "conv_multiply_adds",
        lambda n, c, f, k, s: _o(n, s) ** 2 * k * k * f,
        "input channels are missing",
    ),
    (
        "conv_multiply_adds",
        lambda n, c, f, k, s: _o(n, s) * k * k * c * f,
        "that counts one axis",
    ),
    ("conv_multiply_adds", lambda n, c, f, k, s: 2.5, "a count is a whole number"),
    ("transpose_params", lambda n, c, f, k, s: k * k * c * f, "biases are missing"),
    ("transpose_params", lambda n, c, f, k, s: k * k * c * f + f, "OUTPUT channel"),
    (
        "transpose_params",
        lambda n, c, f, k, s: k * k * c + c,  # 78 for the pair by hand
        "the input channels are missing: the decoder's input has",
    ),
    (
        "transpose_params",
        lambda n, c, f, k, s: k * k * f + c,  # 603 for the pair by hand
        "those are the kernels of one output channel",
    ),
    (
        "transpose_shape",
        lambda n, c, f, k, s: (_o(n, s) * s,) * 2 + (c,),
        "WITHOUT output_padding",
    ),
    (
        "transpose_shape",
        lambda n, c, f, k, s: ((_o(n, s) - 1) * s + k,) * 2 + (c,),
        "size with 'valid' padding",
    ),
    (
        "transpose_shape",
        lambda n, c, f, k, s: ((_o(n, s) - 1) * s + k - k // 2,) * 2 + (c,),
        "both sides, not one",
    ),
    (
        "transpose_shape",
        lambda n, c, f, k, s: (_o(_o(n, s), s),) * 2 + (c,),
        "forward convolution's size",
    ),
    ("transpose_shape", lambda n, c, f, k, s: (_t(n, k, s),) * 2 + (f,), "own chan"),
    ("transpose_shape", lambda n, c, f, k, s: (1, *(_t(n, k, s),) * 2, c), "batch"),
    ("transpose_shape", lambda n, c, f, k, s: (n, n, c), "the image's size, and also"),
    ("transpose_shape", lambda n, c, f, k, s: (_t(n, k, s),) * 2, "all three axes"),
    (
        "transpose_shape",
        lambda n, c, f, k, s: (_t(n, k, s) - 1,) * 2 + (c,),
        "revisit the output size of a transposed convolution",
    ),
]


@pytest.mark.parametrize(("name", "wrong", "match"), MISTAKES)
def test_check_layer_predictions_names_the_mistake(name, wrong, match):
    with pytest.raises(AssertionError, match=match) as caught:
        checks.check_layer_predictions(replaced(name, wrong))
    assert str(caught.value).startswith(name)


def _right_value_spellings(name, case=ch07_layers._BY_HAND):
    value = ch07_layers._right(*case)[name]
    if isinstance(value, tuple):
        return [re.escape(text) for text in _spellings(value)]
    return _spellings(value)


@pytest.mark.parametrize("name", ch07_layers.PREDICTION_NAMES)
def test_no_message_gives_the_right_value(name):
    """Each usual mistake, made on the pair by hand: the message says what is wrong
    and what to revisit, never the right value (nor "run it in Keras")."""
    case = ch07_layers._BY_HAND
    right = ch07_layers._right(*case)[name]
    mistakes = [m for m in ch07_layers._mistakes(name, *case) if m.value is not None]
    assert len(mistakes) >= 4
    for value, _ in [*mistakes, (right if isinstance(right, tuple) else right + 7, "")]:
        if value == right:
            continue
        with pytest.raises(AssertionError) as caught:
            checks.check_layer_predictions(replaced(name, lambda *a, v=value: v))
        message = str(caught.value)
        for spelling in _right_value_spellings(name):
            assert re.search(spelling, message) is None, message
        assert "keras to see" not in message.lower() and "ceil(" not in message


def test_the_layer_numbers_are_not_handed_out():
    assert not hasattr(checks.ch07, "layer_predictions")
    assert set(ch07_layers.__all__) == {"check_layer_predictions", "PREDICTION_NAMES"}
    public = [n for n in dir(ch07_layers) if not n.startswith("_")]
    assert not any("right" in n or "answer" in n for n in public)


def test_check_layer_predictions_reads_what_comes_back_safely():
    with pytest.raises(AssertionError, match="returned None: did you forget"):
        checks.check_layer_predictions(lambda n, c, f, k, s: None)
    with pytest.raises(AssertionError, match="must be a dict with the keys"):
        checks.check_layer_predictions(lambda n, c, f, k, s: [1824])
    partial = replaced("conv_shape", lambda *a: None)

    def missing(*args):
        return {k: v for k, v in partial(*args).items() if k != "conv_shape"}

    with pytest.raises(AssertionError, match="has no entry for 'conv_shape'"):
        checks.check_layer_predictions(missing)
    for huge in (10**400, 10**5000):  # no OverflowError, no unprintable message
        with pytest.raises(AssertionError, match=r"conv_params is wrong .* returned"):
            checks.check_layer_predictions(
                replaced("conv_params", lambda *a, h=huge: h)
            )
    with pytest.raises(AssertionError, match=r"must be a shape.*got \(10+\.\.\.|digit"):
        checks.check_layer_predictions(
            replaced("conv_shape", lambda *a: (10**400, 1.5, 2))
        )
    with pytest.raises(AssertionError, match="must return one count, got complex"):
        checks.check_layer_predictions(replaced("conv_params", lambda *a: 1824 + 0j))
    with pytest.raises(AssertionError, match="must be a shape"):
        checks.check_layer_predictions(
            replaced("conv_shape", lambda *a: (23 + 1j, 23, 24))
        )


def test_a_table_of_the_answers_by_hand_fails():
    with pytest.raises(AssertionError, match=r"\(32, 32, 1\)"):
        checks.check_layer_predictions(lambda n, c, f, k, s: dict(BY_HAND))


def test_every_run_adds_pairs_nobody_knew():
    runs = []
    for _ in range(2):
        seen = []

        def recording(*args, seen=seen):
            seen.append(args)
            return layer_numbers(*args)

        assert checks.check_layer_predictions(recording)
        runs.append(seen)
    fixed = len(ch07_layers._CASES) + 4
    assert runs[0][:fixed] == runs[1][:fixed] and len(runs[0]) == fixed + 4
    assert runs[0][fixed:] != runs[1][fixed:]


def test_the_grader_runs_the_rule_where_keras_cannot_be_imported():
    """Writing `conv_params = conv.count_params()` is no answer: the function is
    checked in the numpy-only sandbox (tested in tests/book), where Keras is not."""
    import inspect

    from convbn_tools import gradebook

    assert "check_layer_predictions" in checks.NUMPY_ONLY
    signature = inspect.signature(checks.check_layer_predictions)
    assert next(iter(signature.parameters)) == "fn"
    questions = {q.name: q for q in gradebook.read_questions(EXERCISES)}
    assert [t.numpy_only for t in questions["q3_predict"].tests] == [True]


# --- nothing graded can be copied from the chapter's pages ---------------------------


def _spellings(value):
    """The ways a graded number or shape could be written in a page's text, code or
    printed output."""
    if isinstance(value, tuple):
        inner = [", ".join(map(str, value)), ",".join(map(str, value))]
        found = [f"({text})" for text in inner] + [f"[{text}]" for text in inner]
        if len(value) == 3:
            h, w, c = value
            found += [f"{h} x {w} x {c}", f"{h} \\times {w} \\times {c}"]
        return found
    spelled = {str(value), f"{value:,}", f"{value:,}".replace(",", "{,}")}
    if isinstance(value, int):
        spelled |= {f"{value:_}", f"{value:,}".replace(",", " ")}
    return [rf"(?<![\d.]){re.escape(text)}(?![\d])" for text in spelled]


#: A line that only unpacks a shape ("kh, kw = w.shape[:2]"): any code has them.
SHAPE_UNPACKING = re.compile(r"[\w\s,]+=\s*\w+\.shape(\[[^\]]*\])?")


def _cells(path):
    return json.loads(path.read_text())["cells"]


def _solution_lines(path):
    """The code lines of the solutions in the exercises notebook (12+ characters,
    not a mere unpacking of a shape)."""
    lines = []
    for cell in _cells(path):
        if cell["cell_type"] != "code" or "hide-input" not in cell["metadata"].get(
            "tags", []
        ):
            continue
        for line in "".join(cell["source"]).splitlines():
            line = line.split("#")[0].strip()
            if (
                len(line) >= 12
                and not line.startswith(("def ", '"""', "return"))
                and not SHAPE_UNPACKING.fullmatch(line)
            ):
                lines.append(line)
    return lines


def _outside_solutions(path):
    """The markdown and code cells of an otter master outside its solution blocks
    (between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` raw cells)."""
    cells, inside = [], False
    for cell in _cells(path):
        text = "".join(cell["source"]).strip()
        if cell["cell_type"] == "raw":
            inside = {"# BEGIN SOLUTION": True, "# END SOLUTION": False}.get(
                text, inside
            )
        elif not inside:
            cells.append(cell)
    return cells


def _lesson_text(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def _graded(layers_only=False):
    """Every graded value of the chapter's predict-then-check exercises, by name: the
    layers of 7.3 (for the pair predicted by hand) and, unless ``layers_only``, the
    costs of 7.6."""
    layers = ch07_layers._right(*ch07_layers._BY_HAND)
    assert layers == BY_HAND
    if layers_only:
        return layers
    separable = checks.ch07_toolkit._separable_costs()
    assert set(separable) == set(checks.ch07_toolkit.SEPARABLE_NAMES)
    return {**layers, **separable}


def _starter_lines():
    """The lines of the classmate's code of exercise 7.2, which its fix keeps."""
    for cell in _cells(EXERCISES):
        text = "".join(cell["source"])
        if "def classmates_max_pool2d_backward" in text:
            return {re.sub(r"\s+", "", line) for line in text.splitlines()}
    raise AssertionError("exercise 7.2's code is missing")


def _assert_no_answer_in(text, layers_only=False, exempt=frozenset()):
    for name, value in _graded(layers_only).items():
        for spelling in _spellings(value):
            pattern = spelling if not isinstance(value, tuple) else re.escape(spelling)
            found = re.search(pattern, text)
            assert found is None, f"the page shows {name} = {value}: {found}"
    lines = _solution_lines(EXERCISES)
    assert len(lines) > 10
    normalised = re.sub(r"\s+", "", text)
    for line in lines:
        squeezed = re.sub(r"\s+", "", line)
        if squeezed not in exempt:
            assert squeezed not in normalised, f"the page has {line!r}"


def test_the_lesson_pages_are_searched():
    assert [p.name for p in LESSONS][:1] == ["index.ipynb"]
    assert EXERCISES not in LESSONS


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_no_graded_answer_appears_in_the_lesson_source(lesson):
    _assert_no_answer_in(_lesson_text(nbformat.read(lesson, as_version=4)))


def test_no_graded_answer_appears_on_the_exercises_page_outside_the_solutions():
    cells = _outside_solutions(EXERCISES)
    text = "\n".join("".join(c["source"]) for c in cells)
    assert "def layer_numbers" not in text and "def conv2d_backward" not in text
    assert "(46, 46, 3)" in text  # the pair to predict is there, its answers are not
    _assert_no_answer_in(text, exempt=_starter_lines())


def test_no_cell_before_the_check_of_7_3_can_run_a_layer():
    """Before exercise 7.3 is checked, no cell of the page outside the solutions
    imports Keras or convbn, or counts a layer's parameters: nothing there can show
    the numbers to predict."""
    cells = _cells(EXERCISES)
    end = next(
        i
        for i, c in enumerate(cells)
        if "".join(c["source"]).strip() == "# END QUESTION"
        and any("name: q3_predict" in "".join(d["source"]) for d in cells[:i])
    )
    before = [c for c in _outside_solutions(EXERCISES) if c in cells[:end]]
    for cell in before:
        if cell["cell_type"] != "code" or "remove-cell" in cell["metadata"].get(
            "tags", []
        ):
            continue  # prose, and the hidden cells: Colab's set-up, otter's tests
        text = "".join(cell["source"])
        for word in ("keras", "convbn", "count_params", "tensorflow"):
            assert word not in text, (cell["id"], word)


def test_the_search_for_answers_finds_them_where_they_are():
    with pytest.raises(AssertionError, match="conv_params"):
        _assert_no_answer_in("the layer has 1,824 parameters")
    with pytest.raises(AssertionError, match="transpose_shape"):
        _assert_no_answer_in("print(up.shape[1:])  # (45, 45, 3)")
    with pytest.raises(AssertionError, match="conv_multiply_adds"):
        _assert_no_answer_in("$952{,}200$ multiply-adds")
    with pytest.raises(AssertionError, match="separable_multiply_adds"):
        _assert_no_answer_in("print(1_819_440)")
    with pytest.raises(AssertionError, match="ratio"):
        _assert_no_answer_in("the ratio is 0.0525 here")
    answer = _solution_lines(EXERCISES)[0]
    with pytest.raises(AssertionError, match="the page has"):
        _assert_no_answer_in(f"x = 1\n{answer}\n")
    rule = "side = -(-n // stride)"
    assert rule in _solution_lines(EXERCISES)
    with pytest.raises(AssertionError, match="the page has"):
        _assert_no_answer_in(rule)
    _assert_no_answer_in("18240 parameters, 45 x 45 pixels, 23 x 23 positions")
    _assert_no_answer_in("2_359_296 weights, a ratio of 0.1130, 14 x 14 maps")
    _assert_no_answer_in("kh, kw = w.shape[:2]\nn, h, w, c = x.shape")


def _executed(path):
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=300, resources={"metadata": {"path": str(CHAPTER)}}
    ).execute()
    return notebook


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_no_graded_answer_appears_in_the_lesson_outputs(lesson):
    _assert_no_answer_in(_lesson_text(_executed(lesson)))


@pytest.mark.slow
def test_the_exercises_page_prints_no_answer_of_7_3():
    """Run as the book runs it, the page prints none of 7.3's answers outside the
    solutions (7.6's Keras cell, after its check, belongs to the toolkit's review)."""
    notebook = _executed(EXERCISES)
    shown = [
        cell
        for cell in notebook.cells
        if cell.get("id") in {c.get("id") for c in _outside_solutions(EXERCISES)}
    ]
    text = _lesson_text(nbformat.from_dict({**notebook, "cells": shown}))
    _assert_no_answer_in(text, layers_only=True, exempt=_starter_lines())


def test_the_image_size_assumed_is_named_where_it_is_not_n_s():
    assumed = replaced("transpose_shape", lambda n, c, f, k, s: (n, n, c))
    with pytest.raises(AssertionError, match="here it differs from the image's"):
        ch07_layers._check_case(assumed, (11, 2, 3, 5, 3), "yours")
