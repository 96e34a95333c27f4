"""The checkers of chapter 7: right solutions pass, each known mistake is named, and
no graded answer can be copied from the lesson pages (``index`` and ``toolkit``; the
toolkit exercises' checkers are tested in ``test_ch07_toolkit.py``)."""

import json
import re

import nbformat
import numpy as np
import pytest

import convbn
from conftest import ROOT
from convbn import checks, convolution

CHAPTER = ROOT / "chapters" / "07_conv_layer"
EXERCISES = CHAPTER / "exercises.ipynb"
#: The chapter's lesson pages: every notebook of its folder but the exercises.
LESSONS = sorted(p for p in CHAPTER.glob("*.ipynb") if p != EXERCISES)

# --- check_conv2d_backward -----------------------------------------------------------


def backward_loops(dout, x, w, stride):
    """Right, written with loops over every output position and tap."""
    n, h_out, w_out, c_out = dout.shape
    kh, kw = w.shape[:2]
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(h_out):
        for j in range(w_out):
            for m in range(kh):
                for q in range(kw):
                    r, c = i * stride + m, j * stride + q
                    dx[:, r, c, :] += dout[:, i, j, :] @ w[m, q].T
                    dw[m, q] += x[:, r, c, :].T @ dout[:, i, j, :]
    return dx, dw, dout.sum(axis=(0, 1, 2))


def backward_full_correlation(dout, x, w, stride):
    """Right, written with the lesson's second form: dout with s - 1 zeros between
    its entries, padded and correlated with the rotated kernel, then the unread rows
    (output_padding) appended; dw from the strided patches."""
    n, h_out, w_out, c_out = dout.shape
    kh, kw = w.shape[:2]
    spread = np.zeros((n, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1, c_out))
    spread[:, ::stride, ::stride] = dout
    padded = np.pad(spread, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    dx = convolution.conv2d(padded, w[::-1, ::-1].transpose(0, 1, 3, 2))
    rows, cols = x.shape[1] - dx.shape[1], x.shape[2] - dx.shape[2]
    dx = np.pad(dx, ((0, 0), (0, rows), (0, cols), (0, 0)))
    dw = np.stack(
        [
            np.stack(
                [
                    np.einsum(
                        "nijd,nijc->dc",
                        x[
                            :,
                            m : m + stride * h_out : stride,
                            q : q + stride * w_out : stride,
                        ],
                        dout,
                    )
                    for q in range(kw)
                ]
            )
            for m in range(kh)
        ]
    )
    return dx, dw, dout.sum(axis=(0, 1, 2))


@pytest.mark.parametrize("solution", [backward_loops, backward_full_correlation])
def test_check_conv2d_backward_accepts_correct_solutions(solution):
    assert checks.check_conv2d_backward(solution) is True
    assert checks.check_conv2d_backward(solution, seed=7) is True


def _replace(index, make):
    def wrong(dout, x, w, stride):
        grads = list(backward_loops(dout, x, w, stride))
        grads[index] = make(dout, x, w, stride, grads[index])
        return tuple(grads)

    return wrong


def _full(dout, kernel, stride):
    """The full correlation of the spread dout with ``kernel``, no rows appended."""
    n, h_out, w_out, c_out = dout.shape
    spread = np.zeros((n, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1, c_out))
    spread[:, ::stride, ::stride] = dout
    kh, kw = kernel.shape[:2]
    padded = np.pad(spread, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    return convolution.conv2d(padded, kernel.transpose(0, 1, 3, 2))


def _grown(dx, x):
    rows, cols = x.shape[1] - dx.shape[1], x.shape[2] - dx.shape[2]
    return np.pad(dx, ((0, 0), (0, max(rows, 0)), (0, max(cols, 0)), (0, 0)))


def _modifies(dout, x, w, stride):
    grads = backward_loops(dout, x, w, stride)
    dout *= 2
    return grads


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (
            _replace(0, lambda d, x, w, s, g: _grown(_full(d, w, s), x)),
            "dx: the kernel is not flipped",
        ),
        (
            _replace(0, lambda d, x, w, s, g: _full(d, w[::-1, ::-1], 1)),
            "dx: the stride is ignored",
        ),
        (
            _replace(0, lambda d, x, w, s, g: _full(d, w[::-1, ::-1], s)),
            r"no window reads the last 1 row\(s\)",
        ),
        (_replace(0, lambda d, x, w, s, g: g[:, 1:]), r"dx has shape .* x's shape"),
        (_replace(1, lambda d, x, w, s, g: g[::-1, ::-1]), "dw is rotated by 180"),
        (
            _replace(1, lambda d, x, w, s, g: checks.ch07._dw_stride_ignored(d, x, w)),
            "dw: the stride is ignored",
        ),
        (
            _replace(1, lambda d, x, w, s, g: g / len(x)),
            "dw is averaged over the batch",
        ),
        (
            _replace(1, lambda d, x, w, s, g: g.transpose(0, 1, 3, 2)),
            "dw: the channels are transposed",
        ),
        (
            _replace(2, lambda d, x, w, s, g: d.sum(axis=0)),
            "db is summed over the batch",
        ),
        (_replace(2, lambda d, x, w, s, g: d.sum(axis=(1, 2))), "summed over space"),
        (_replace(2, lambda d, x, w, s, g: d.mean(axis=(0, 1, 2))), "db is a mean"),
        (lambda d, x, w, s: backward_loops(d, x, w, s)[:2], "must return three arr"),
        (_modifies, "modified its input dout"),
        (_replace(0, lambda d, x, w, s, g: g + 0.1), "wrong dx value at"),
        (lambda d, x, w: None, "raised TypeError"),  # the stride argument is missing
    ],
)
def test_check_conv2d_backward_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_conv2d_backward(wrong)


def test_check_conv2d_backward_names_transposed_channels_in_dx():
    def wrong(dout, x, w, stride):
        dx, dw, db = backward_loops(dout, x, w, stride)
        if w.shape[2] == w.shape[3]:
            dx = _grown(_full(dout, w[::-1, ::-1].transpose(0, 1, 3, 2), stride), x)
        return dx, dw, db

    with pytest.raises(AssertionError, match="dx: the channels are transposed"):
        checks.check_conv2d_backward(wrong)


def test_the_stride_1_answer_of_the_lesson_fails_at_the_first_stride():
    def stride_1(dout, x, w, stride):
        del stride
        return backward_loops(dout, x, w, 1)

    with pytest.raises(AssertionError, match=r"stride 2"):
        checks.check_conv2d_backward(stride_1)


# --- check_max_pool2d_backward -------------------------------------------------------


def pool_backward_argmax(dout, x, size, stride):
    """Right: np.argmax finds the first maximum of each flattened window; += adds
    the gradients of overlapping windows."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = x[i * stride : i * stride + size, j * stride : j * stride + size]
            m, q = np.unravel_index(np.argmax(window), window.shape)
            dx[i * stride + m, j * stride + q] += dout[i, j]
    return dx


def pool_backward_scatter(dout, x, size, stride):
    """Right, written with strided windows and np.add.at."""
    view = np.lib.stride_tricks.sliding_window_view(x, (size, size))[::stride, ::stride]
    view = view[: dout.shape[0], : dout.shape[1]].reshape(*dout.shape, size * size)
    first = view.argmax(axis=-1)
    rows = np.arange(dout.shape[0])[:, None] * stride + first // size
    cols = np.arange(dout.shape[1])[None, :] * stride + first % size
    dx = np.zeros_like(x)
    np.add.at(dx, (rows, cols), dout)
    return dx


@pytest.mark.parametrize("solution", [pool_backward_argmax, pool_backward_scatter])
def test_check_max_pool2d_backward_accepts_correct_solutions(solution):
    assert checks.check_max_pool2d_backward(solution) is True
    assert checks.check_max_pool2d_backward(solution, seed=3) is True


def classmates(dout, x, size, stride):
    """The exercise's code: both bugs."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = x[i * size : i * size + size, j * size : j * size + size]
            m, q = np.unravel_index(np.argmax(window), window.shape)
            dx[i * size + m, j * size + q] = dout[i, j]
    return dx


def _per_window(share, step=None, add=True):
    """A backward pass written window by window, as students write it: ``share``
    says what part of dout[i, j] each entry of a window gets; windows start every
    ``step`` (default: the stride); ``add=False`` assigns (=) instead of adding."""

    def backward(dout, x, size, stride):
        dx, jump = np.zeros_like(x), step or stride
        for i, j in np.ndindex(dout.shape):
            rows, cols = (
                slice(i * jump, i * jump + size),
                slice(j * jump, j * jump + size),
            )
            part = share(x[rows, cols]) * dout[i, j]
            if add:
                dx[rows, cols] += part
            else:
                dx[rows, cols][part != 0] = part[part != 0]
        return dx

    return backward


def _first(window):
    return np.arange(window.size).reshape(window.shape) == np.argmax(window)


def _last(window):
    flat = window.ravel()
    last = len(flat) - 1 - int(np.argmax(flat[::-1]))
    return np.arange(window.size).reshape(window.shape) == last


_overwrites = _per_window(_first, add=False)
_every_tie = _per_window(lambda w: w == w.max())
_last_tie = _per_window(_last)
_spread = _per_window(lambda w: np.full(w.shape, 1 / w.size))


def _at_size(dout, x, size, stride):
    return pool_backward_argmax(dout, x, size, size)


def _off_by_one(dout, x, size, stride):
    dx = np.zeros_like(x)
    dx[1:] = pool_backward_argmax(dout, x, size, stride)[:-1]
    return dx


def _covered_only(dout, x, size, stride):
    rows = (dout.shape[0] - 1) * stride + size
    cols = (dout.shape[1] - 1) * stride + size
    return pool_backward_argmax(dout, x, size, stride)[:rows, :cols]


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (classmates, "the windows are in the wrong place"),
        (_overwrites, "receives only the last window's gradient"),
        (_at_size, "the windows are in the wrong place"),
        (_every_tie, "every tied maximum"),
        (_last_tie, "the last maximum"),
        (_spread, "spread over the window"),
        (lambda d, x, s, t: pool_backward_argmax(np.ones_like(d), x, s, t), "dout is"),
        (_off_by_one, "off by one"),
        (_covered_only, "dx must have x's shape"),
        (lambda d, x, s, t: None, "did you forget `return`"),
        (lambda d, x, s, t: pool_backward_argmax(d, x, s, t) * 2, "wrong value at"),
    ],
)
def test_check_max_pool2d_backward_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_max_pool2d_backward(wrong)


# --- check_layer_predictions ---------------------------------------------------------

RIGHT_PREDICTIONS = {
    "conv_params": 1824,
    "conv_shape": (23, 23, 24),
    "conv_multiply_adds": 952_200,
    "transpose_params": 1803,
    "transpose_shape": (45, 45, 3),
}


def test_layer_predictions_are_what_keras_builds():
    keras = convbn.import_keras()
    conv = keras.layers.Conv2D(24, 5, strides=2, padding="same")
    transpose = keras.layers.Conv2DTranspose(
        3, 5, strides=2, padding="same", output_padding=0
    )
    conv_out = conv(np.zeros((1, 45, 45, 3), dtype="float32"))
    up = transpose(np.zeros((1, 23, 23, 24), dtype="float32"))
    right = checks.ch07.layer_predictions()
    assert right == RIGHT_PREDICTIONS
    assert right["conv_params"] == conv.count_params()
    assert right["conv_shape"] == tuple(conv_out.shape[1:])
    assert right["transpose_params"] == transpose.count_params()
    assert right["transpose_shape"] == tuple(up.shape[1:])
    kh, kw, c_in, c_out = conv.kernel.shape
    assert right["conv_multiply_adds"] == 23 * 23 * kh * kw * c_in * c_out
    # the decoder undoes the encoder's size only with output_padding
    plain = keras.layers.Conv2DTranspose(3, 5, strides=2, padding="same")
    assert tuple(plain(np.zeros((1, 23, 23, 24), "float32")).shape[1:]) == (46, 46, 3)


def test_check_layer_predictions_accepts_right_numbers_in_any_form():
    assert checks.check_layer_predictions(RIGHT_PREDICTIONS) is True
    other_forms = {
        **RIGHT_PREDICTIONS,
        "conv_params": 1824.0,
        "conv_shape": [23, 23, 24],
        "transpose_shape": np.array([45, 45, 3]),
        "conv_multiply_adds": np.int64(952_200),
    }
    assert checks.check_layer_predictions(other_forms) is True


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("conv_params", 1800, "the 24 biases are missing"),
        ("conv_params", 624, "the input channels are missing"),
        ("conv_params", 76, "that is one filter"),
        ("conv_params", 145_824, "do not depend on the image size"),
        ("conv_params", 1825, r"conv_params: wrong count \(you predicted 1825"),
        ("conv_shape", (21, 21, 24), "that is 'valid' padding"),
        ("conv_shape", (22, 22, 24), "rounded up, not down"),
        ("conv_shape", (45, 45, 24), "the stride is ignored"),
        ("conv_shape", (23, 23, 3), "one channel per filter"),
        ("conv_shape", (1, 23, 23, 24), "leave out the batch axis"),
        ("conv_shape", (23, 23), "give all three axes"),
        ("conv_multiply_adds", 3_645_000, "the stride is ignored"),
        ("conv_multiply_adds", 793_800, "'valid' padding"),
        ("conv_multiply_adds", 871_200, "rounded up, not down"),
        ("conv_multiply_adds", 964_896, "the bias is left out of the count"),
        ("conv_multiply_adds", 39_675, "that is one filter"),
        ("conv_multiply_adds", 317_400, "the input channels are missing"),
        ("transpose_params", 1800, "the 3 biases are missing"),
        ("transpose_params", 1824, "one bias per OUTPUT channel"),
        ("transpose_shape", (46, 46, 3), "WITHOUT output_padding"),
        ("transpose_shape", (49, 49, 3), "the 'valid' size"),
        ("transpose_shape", (47, 47, 3), "2 p in all"),
        ("transpose_shape", (12, 12, 3), "forward convolution's size"),
        ("transpose_shape", (45, 45, 24), "the layer's 3 channels"),
        ("transpose_shape", (1, 45, 45, 3), "leave out the batch axis"),
        ("transpose_shape", (45, 45), r"transpose_shape: wrong shape"),
        ("conv_shape", "23x23x24", "must be a shape"),
        ("conv_shape", (23.5, 23, 24), "whole numbers"),
        ("conv_params", 1824.5, "a count is a whole number"),
        ("conv_params", ..., "still Ellipsis: write your prediction"),
        ("transpose_params", None, "still None"),
    ],
)
def test_check_layer_predictions_names_the_mistake(name, value, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_layer_predictions({**RIGHT_PREDICTIONS, name: value})


def test_check_layer_predictions_wants_a_dict_with_every_name():
    with pytest.raises(AssertionError, match="must be a dict"):
        checks.check_layer_predictions([1824])
    partial = {k: v for k, v in RIGHT_PREDICTIONS.items() if k != "conv_shape"}
    with pytest.raises(AssertionError, match="predictions has no conv_shape"):
        checks.check_layer_predictions(partial)


# --- nothing graded can be copied from the lesson ------------------------------------


def _spellings(value):
    """The ways a graded number or shape could be written in a lesson's text,
    code or printed output."""
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


def _solution_lines(path):
    """The code lines of the solutions in the exercises notebook (12+ characters,
    not a mere unpacking of a shape)."""
    lines = []
    for cell in json.loads(path.read_text())["cells"]:
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


def _lesson_text(notebook) -> str:
    parts = []
    for cell in notebook.cells:
        parts.append(cell.source)
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


def _graded():
    """Every graded value of the chapter's predict-then-check exercises, by name."""
    separable = checks.ch07_toolkit.separable_costs()
    assert checks.ch07.layer_predictions() == RIGHT_PREDICTIONS
    assert set(separable) == set(checks.ch07_toolkit.SEPARABLE_NAMES)
    return {**checks.ch07.layer_predictions(), **separable}


def _assert_no_answer_in(text):
    for name, value in _graded().items():
        for spelling in _spellings(value):
            pattern = spelling if not isinstance(value, tuple) else re.escape(spelling)
            found = re.search(pattern, text)
            assert found is None, f"the lesson shows {name} = {value}: {found}"
    lines = _solution_lines(EXERCISES)
    assert len(lines) > 10
    normalised = re.sub(r"\s+", "", text)
    for line in lines:
        assert re.sub(r"\s+", "", line) not in normalised, f"the lesson has {line!r}"


def test_the_lesson_pages_are_searched():
    assert [p.name for p in LESSONS][:1] == ["index.ipynb"]
    assert EXERCISES not in LESSONS


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_no_graded_answer_appears_in_the_lesson_source(lesson):
    _assert_no_answer_in(_lesson_text(nbformat.read(lesson, as_version=4)))


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
    with pytest.raises(AssertionError, match="the lesson has"):
        _assert_no_answer_in(f"x = 1\n{answer}\n")
    _assert_no_answer_in("18240 parameters, 45 x 45 pixels, 23 x 23 positions")
    _assert_no_answer_in("2_359_296 weights, a ratio of 0.1130, 14 x 14 maps")
    _assert_no_answer_in("kh, kw = w.shape[:2]\nn, h, w, c = x.shape")


@pytest.mark.slow
@pytest.mark.parametrize("lesson", LESSONS, ids=lambda p: p.stem)
def test_no_graded_answer_appears_in_the_lesson_outputs(lesson):
    from nbclient import NotebookClient

    notebook = nbformat.read(lesson, as_version=4)
    NotebookClient(
        notebook, timeout=300, resources={"metadata": {"path": str(CHAPTER)}}
    ).execute()
    _assert_no_answer_in(_lesson_text(notebook))
