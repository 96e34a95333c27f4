"""The checker of exercise 9.8, layer normalization's backward pass: right
solutions pass, each known mistake is named, and the known ways round it fail: the
library's functions or TensorFlow's gradients (the exercise is numpy only), a table
of recorded answers, finite differences of a forward pass."""

import numpy as np
import pytest

from convbn import batchnorm, checks
from convbn.batchnorm import layernorm_backward as _library_backward
from convbn.batchnorm import layernorm_forward as _library_forward

_REAL_FORWARD = _library_forward


def _ln_parts(x, gamma, eps, axis=1, ddof=0, outside=False):
    """x_hat and 1 / sqrt(var + eps) with statistics over ``axis`` (with
    ``outside``, 1 / (sqrt(var) + eps))."""
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    inv_std = 1.0 / (np.sqrt(var) + eps if outside else np.sqrt(var + eps))
    return (x - x.mean(axis=axis, keepdims=True)) * inv_std, inv_std


def ln_backward(dy, x, gamma, eps, axis=1, ddof=0, terms=(1, 1, 1), outside=False):
    """Layer norm's backward pass; with other arguments, what the usual mistakes
    give: ``axis=0`` is batch norm's, ``terms`` weighs the direct term and the paths
    through the mean and the variance, ``ddof=1`` the unbiased variance, ``outside``
    eps outside the square root."""
    x_hat, inv_std = _ln_parts(x, gamma, eps, axis, ddof, outside)
    g = dy * gamma
    direct, mean, var = terms
    dx = inv_std * (
        direct * g
        - mean * g.mean(axis=axis, keepdims=True)
        - var
        * x_hat
        * (g * x_hat).sum(axis=axis, keepdims=True)
        / (x.shape[axis] - ddof)
    )
    return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)


def ln_backward_staged(dy, x, gamma, eps):
    """Right, step by step through the graph as cs231n's assignment does."""
    d = x.shape[1]
    mu = x.mean(axis=1, keepdims=True)
    centred = x - mu
    var = (centred**2).mean(axis=1, keepdims=True)
    std = np.sqrt(var + eps)
    x_hat = centred / std
    dx_hat = dy * gamma
    dvar = (dx_hat * centred).sum(axis=1, keepdims=True) * -0.5 * std**-3
    dmu = -(dx_hat / std).sum(axis=1, keepdims=True) - 2 * dvar * centred.mean(
        axis=1, keepdims=True
    )
    dx = dx_hat / std + dvar * 2 * centred / d + dmu / d
    return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)


def ln_backward_transposed(dy, x, gamma, eps):
    """Right: batch norm's backward pass on the transposed arrays, with gamma
    applied before (layer norm is batch norm of x.T, without its own gamma)."""
    x_hat, inv_std = _ln_parts(x.T, gamma, eps, axis=0)
    g = (dy * gamma).T
    dx = inv_std * (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0))
    return dx.T, (dy * x_hat.T).sum(axis=0), dy.sum(axis=0)


def test_layernorm_backward_reference_is_gradient_tape():
    import tensorflow as tf

    from convbn import batchnorm

    rng = np.random.default_rng(3)
    x, dy = rng.normal(2.0, 3.0, size=(5, 6)), rng.normal(size=(5, 6))
    gamma = rng.uniform(0.5, 2.0, size=6)
    _, cache = batchnorm.layernorm_forward(x, gamma, 0.0, 1e-3)
    want = batchnorm.layernorm_backward(dy, cache)
    variables = [tf.Variable(v) for v in (x, gamma, np.zeros(6))]
    with tf.GradientTape() as tape:
        mean, var = tf.nn.moments(variables[0], axes=[1], keepdims=True)
        x_hat = (variables[0] - mean) / tf.sqrt(var + 1e-3)
        loss = tf.reduce_sum(dy * (variables[1] * x_hat + variables[2]))
    for ours, theirs in zip(want, tape.gradient(loss, variables), strict=True):
        assert np.allclose(ours, theirs.numpy(), atol=1e-10)
    for solution in (ln_backward, ln_backward_staged, ln_backward_transposed):
        for ours, theirs in zip(solution(dy, x, gamma, 1e-3), want, strict=True):
            assert np.allclose(ours, theirs)


@pytest.mark.parametrize(
    "solution", [ln_backward, ln_backward_staged, ln_backward_transposed]
)
def test_check_layernorm_backward_accepts_correct_solutions(solution):
    assert checks.check_layernorm_backward(solution) is True
    assert checks.check_layernorm_backward(solution, seed=5) is True


def _ln_with(index, make):
    """ln_backward with result ``index`` replaced by ``make(dy, x, gamma, eps)``."""

    def wrong(dy, x, gamma, eps):
        grads = list(ln_backward(dy, x, gamma, eps))
        grads[index] = make(dy, x, gamma, eps)
        return tuple(grads)

    return wrong


def _ln_modifies(dy, x, gamma, eps):
    grads = ln_backward(dy, x, gamma, eps)
    x -= x.mean(axis=1, keepdims=True)
    return grads


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (
            lambda dy, x, g, e: ln_backward(dy, x, g, e, terms=(1, 0, 1)),
            "the path through the mean is missing",
        ),
        (
            lambda dy, x, g, e: ln_backward(dy, x, g, e, terms=(1, 0, 0)),
            "treated the mean and the variance as constants",
        ),
        (
            lambda dy, x, g, e: ln_backward(dy, x, g, e, terms=(1, 1, 0)),
            "the path through the variance is missing",
        ),
        (
            lambda dy, x, g, e: ln_backward(dy, x, g, e, terms=(0, 1, 1)),
            "the direct term is missing",
        ),
        (
            lambda dy, x, g, e: ln_backward(dy, x, g, e, terms=(1, 1, -1)),
            "the variance term has the wrong sign",
        ),
        (
            lambda dy, x, g, e: ln_backward(dy, x, g, e, axis=0),
            "x_hat is normalised over the batch axis",
        ),
        (
            _ln_with(0, lambda dy, x, g, e: ln_backward(dy, x, g, e, axis=0)[0]),
            "that is batch normalization's backward pass",
        ),
        (
            _ln_with(0, lambda dy, x, g, e: ln_backward(dy, x, np.ones_like(g), e)[0]),
            "gamma is left out of dx",
        ),
        (
            _ln_with(
                0, lambda dy, x, g, e: ln_backward(dy, x, np.ones_like(g), e)[0] * g
            ),
            "gamma multiplies dx at the end",
        ),
        (
            _ln_with(0, lambda dy, x, g, e: ln_backward(dy, x, g, e, ddof=1)[0]),
            "the unbiased variance",
        ),
        (
            lambda dy, x, g, e: ln_backward(dy, x, g, e, ddof=1),
            r"the unbiased variance \(ddof=1\).* \(dgamma, x of shape",
        ),
        (
            lambda dy, x, g, e: ln_backward(dy, x, g, 0.0),
            r"^eps is missing: .* \(dgamma, x of shape",
        ),
        (
            lambda dy, x, g, e: ln_backward(dy, x, g, e, outside=True),
            r"^eps is outside the square root: .* \(dgamma, x of shape",
        ),
        (
            _ln_with(0, lambda dy, x, g, e: ln_backward(dy, x, g, 0.0)[0]),
            r"^eps is missing: .* \(dx, x of shape",
        ),
        (
            _ln_with(0, lambda dy, x, g, e: ln_backward(dy, x, g, e, outside=True)[0]),
            r"^eps is outside the square root: .* \(dx, x of shape",
        ),
        (
            lambda dy, x, g, e: ln_backward(
                *(a.astype("float32") for a in (dy, x, g)), e
            ),
            r"^right only to float32 precision: compute in float64 \(your array is "
            r"float32\)",
        ),
        (
            lambda dy, x, g, e: batchnorm.layernorm_backward(
                dy, batchnorm.layernorm_forward(x, g, 0.0, e)[1]
            ),
            "^exercise 9.8 is numpy only: write the backward pass yourself, without "
            "convbn.batchnorm.layernorm_forward$",
        ),
        (
            lambda dy, x, g, e: _library_backward(
                dy, _library_forward(x, g, 0.0, e)[1]
            ),
            "without convbn.batchnorm.layernorm_forward$",
        ),
        (
            _ln_with(1, lambda dy, x, g, e: (dy * _ln_parts(x, g, e)[0]).sum(axis=1)),
            r"dgamma has shape \(6,\), one value per example",
        ),
        (_ln_with(2, lambda dy, x, g, e: dy.sum(axis=1)), r"dbeta has shape \(6,\)"),
        (
            _ln_with(1, lambda dy, x, g, e: (dy * _ln_parts(x, g, e)[0]).mean(axis=0)),
            "dgamma is a sum over the examples, not a mean",
        ),
        (_ln_with(1, lambda dy, x, g, e: dy.sum(axis=0)), "dgamma without x_hat"),
        (_ln_with(1, lambda dy, x, g, e: (dy * x).sum(axis=0)), "uses x instead"),
        (_ln_with(2, lambda dy, x, g, e: dy.mean(axis=0)), "dbeta is the sum of dy"),
        (_ln_with(2, lambda dy, x, g, e: (dy * g).sum(axis=0)), "gamma does not"),
        (
            lambda dy, x, g, e: (lambda dx, dg, db: (dx, db, dg))(
                *ln_backward(dy, x, g, e)
            ),
            "dgamma and dbeta are swapped",
        ),
        (lambda dy, x, g, e: ln_backward(dy, x, g, e)[:2], "must return three arr"),
        (lambda dy, x, g, e: ln_backward(dy, x, g, e)[0], "must return three arr"),
        (_ln_modifies, "modified its input x"),
        (lambda dy, x, g: None, "raised TypeError"),
        (_ln_with(0, lambda dy, x, g, e: ln_backward(dy, x, g, e)[0].T), r"\(dx\)"),
        (_ln_with(0, lambda dy, x, g, e: ln_backward(dy, x, g, e)[0] * 1.01), "wrong"),
    ],
)
def test_check_layernorm_backward_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_layernorm_backward(wrong)
    # the library is itself again, whatever the student's function did
    assert batchnorm.layernorm_forward is _library_forward
    assert batchnorm.layernorm_backward is _library_backward
    assert globals()["_library_forward"] is _REAL_FORWARD


def test_the_unbiased_variance_is_named_wherever_it_is_used():
    """ddof=1 in x_hat (dgamma and dx), in dx's statistics alone (the paper's
    divisions by D), or with D - 1 also dividing the path through the variance."""

    def consistent(dy, x, gamma, eps):
        return ln_backward(dy, x, gamma, eps, ddof=1)[0], *ln_backward(
            dy, x, gamma, eps
        )[1:]

    def paper_divisions(dy, x, gamma, eps):
        x_hat, inv_std = _ln_parts(x, gamma, eps, ddof=1)
        g = dy * gamma
        dx = inv_std * (
            g
            - g.mean(axis=1, keepdims=True)
            - x_hat * (g * x_hat).mean(axis=1, keepdims=True)
        )
        return dx, *ln_backward(dy, x, gamma, eps)[1:]

    for wrong in (consistent, paper_divisions):
        with pytest.raises(AssertionError, match=r"unbiased variance .* \(dx, x of"):
            checks.check_layernorm_backward(wrong)


def test_check_layernorm_backward_names_wrong_axis_sums_when_n_equals_d():
    """Where N = D a sum over the wrong axis has the right shape: its values give
    it away."""
    right = ln_backward

    def dgamma_rows(dy, x, gamma, eps):
        dx, dgamma, dbeta = right(dy, x, gamma, eps)
        if x.shape[0] == x.shape[1]:
            dgamma = (dy * _ln_parts(x, gamma, eps)[0]).sum(axis=1)
        return dx, dgamma, dbeta

    def dbeta_rows(dy, x, gamma, eps):
        dx, dgamma, dbeta = right(dy, x, gamma, eps)
        return dx, dgamma, dy.sum(axis=1) if x.shape[0] == x.shape[1] else dbeta

    for wrong, name in ((dgamma_rows, "dgamma"), (dbeta_rows, "dbeta")):
        with pytest.raises(AssertionError, match=f"{name} is summed over the wrong"):
            checks.check_layernorm_backward(wrong)


def test_dbeta_left_as_none_is_named():
    with pytest.raises(AssertionError, match="returned None for dbeta: compute all"):
        checks.check_layernorm_backward(_ln_with(2, lambda *args: None))


def test_an_integer_dgamma_is_named():
    wrong = _ln_with(1, lambda dy, x, g, e: ln_backward(dy, x, g, e)[1].astype(int))
    with pytest.raises(AssertionError, match=r"integer dtype int64.* \(dgamma, x of"):
        checks.check_layernorm_backward(wrong)


def test_gradient_tape_is_refused():
    """Item: TensorFlow's gradients passed in the notebook, and fail where the class
    is graded (only numpy there)."""
    tf = pytest.importorskip("tensorflow")

    def taped(dy, x, gamma, eps):
        variables = [tf.Variable(v) for v in (x, gamma, np.zeros_like(gamma))]
        with tf.GradientTape() as tape:
            mean, var = tf.nn.moments(variables[0], axes=[1], keepdims=True)
            x_hat = (variables[0] - mean) / tf.sqrt(var + eps)
            loss = tf.reduce_sum(dy * (variables[1] * x_hat + variables[2]))
        return tuple(g.numpy() for g in tape.gradient(loss, variables))

    with pytest.raises(AssertionError, match="^exercise 9.8 is numpy only: .*without "):
        checks.check_layernorm_backward(taped)


def test_recorded_answers_fail_on_the_fresh_cases():
    """Item: with seeded cases alone, a table of the answers recorded in one run
    (pasted into the notebook) passed every later run."""
    table = {}

    def recording(dy, x, gamma, eps):
        table[x.tobytes()] = ln_backward(dy, x, gamma, eps)
        return table[x.tobytes()]

    assert checks.check_layernorm_backward(recording) is True
    with pytest.raises(AssertionError, match="raised KeyError"):
        checks.check_layernorm_backward(lambda dy, x, g, e: table[x.tobytes()])


class _OutOfTime(Exception):
    """Stands for the grader's time limit."""


def probing(budget):
    """The cheat: a forward pass written in numpy and central differences of the
    loss, one feature at a time for every example at once (each example's loss
    depends on its own row alone), 2 D forward passes of the batch; dgamma and
    dbeta from the forward pass's x_hat. When a call needs more than ``budget``
    forward passes it gives up at once, as the grader's time limit would end it."""

    def backward(dy, x, gamma, eps):
        if 2 * x.shape[1] > budget:
            raise _OutOfTime(f"{2 * x.shape[1]} forward passes, more than {budget}")

        def losses(values):
            x_hat = _ln_parts(values, gamma, eps)[0]
            return (dy * gamma * x_hat).sum(axis=1)

        dx, step = np.zeros_like(x), 1e-5
        for j in range(x.shape[1]):
            up, down = x.copy(), x.copy()
            up[:, j] += step
            down[:, j] -= step
            dx[:, j] = (losses(up) - losses(down)) / (2 * step)
        x_hat = _ln_parts(x, gamma, eps)[0]
        return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)

    return backward


def test_probing_a_forward_pass_passes_the_small_cases_only():
    """Item: finite differences pass every small case (to 1e-10 or so), and need
    2 x 32,768 forward passes of a 64 x 32,768 batch on the realistic one, several
    minutes; here they give up after 200."""
    with pytest.raises(AssertionError, match=r"raised _OutOfTime.*\(64, 32768\)"):
        checks.check_layernorm_backward(probing(200))
