"""The checkers of chapter 8: right solutions pass, each known mistake is named."""

import numpy as np
import pytest

from convbn import batchnorm, checks

# --- check_batchnorm_forward ---------------------------------------------------------


def forward_ok(x, gamma, beta, eps):
    return batchnorm.batchnorm_forward(x, gamma, beta, eps)[0]


def forward_loops(x, gamma, beta, eps):  # written differently: feature by feature
    n, d = x.shape
    y = np.empty((n, d))
    for j in range(d):
        column = [float(v) for v in x[:, j]]
        mu = sum(column) / n
        var = sum((v - mu) ** 2 for v in column) / n
        for i in range(n):
            y[i, j] = gamma[j] * (column[i] - mu) / (var + eps) ** 0.5 + beta[j]
    return y


def _forward(x, gamma, beta, eps, mu=None, var=None, x_hat=None):
    mu = x.mean(axis=0) if mu is None else mu
    var = x.var(axis=0) if var is None else var
    x_hat = (x - mu) / np.sqrt(var + eps) if x_hat is None else x_hat
    return gamma * x_hat + beta


def _f_unbiased(x, g, b, eps):
    return _forward(x, g, b, eps, var=x.var(axis=0, ddof=1))


def _f_eps_outside(x, g, b, eps):
    return _forward(x, g, b, eps, x_hat=(x - x.mean(0)) / (x.std(0) + eps))


def _f_no_eps(x, g, b, eps):
    return _forward(x, g, b, 0.0)


def _f_no_sqrt(x, g, b, eps):
    return _forward(x, g, b, eps, x_hat=(x - x.mean(0)) / (x.var(0) + eps))


def _f_axis1(x, g, b, eps):
    mu, var = x.mean(axis=1, keepdims=True), x.var(axis=1, keepdims=True)
    return g * (x - mu) / np.sqrt(var + eps) + b


def _f_all_values(x, g, b, eps):
    return g * (x - x.mean()) / np.sqrt(x.var() + eps) + b


def _f_swapped(x, g, b, eps):
    return _forward(x, b, g, eps)


def _f_no_affine(x, g, b, eps):
    return _forward(x, 1.0, 0.0, eps)


def _f_no_beta(x, g, b, eps):
    return _forward(x, g, 0.0, eps)


def _f_no_centre(x, g, b, eps):
    return _forward(x, g, b, eps, mu=0.0, var=x.var(0))


def _f_uncentred_var(x, g, b, eps):
    return _forward(x, g, b, eps, var=(x**2).mean(0))


def _f_in_place(x, g, b, eps):
    x -= x.mean(axis=0)
    x /= np.sqrt(x.var(axis=0) + eps)
    return g * x + b


def _f_tuple(x, g, b, eps):
    return batchnorm.batchnorm_forward(x, g, b, eps)


def _f_half_precision(x, g, b, eps):  # right formula, too little precision
    return forward_ok(x.astype(np.float16), g, b, eps)


@pytest.mark.parametrize("solution", [forward_ok, forward_loops])
def test_check_batchnorm_forward_accepts_correct_solutions(solution):
    assert checks.check_batchnorm_forward(solution) is True
    assert checks.check_batchnorm_forward(solution, seed=5) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_f_unbiased, "unbiased variance"),
        (_f_eps_outside, "eps is outside the square root"),
        (_f_no_eps, "eps is missing"),
        (_f_no_sqrt, "the square root is missing"),
        (_f_axis1, "wrong axis"),
        (_f_all_values, "over all values"),
        (_f_swapped, "gamma and beta are swapped"),
        (_f_no_affine, "the scale and shift are missing"),
        (_f_no_beta, "beta is missing"),
        (lambda x, g, b, eps: _forward(x, 1.0, b, eps), "gamma is missing"),
        (
            lambda x, g, b, eps: _forward(x, g, b, eps, var=x.std(axis=0)),
            "the standard deviation where the variance goes",
        ),
        (_f_no_centre, "the mean is not subtracted"),
        (_f_uncentred_var, "the variance is not centred"),
        (_f_in_place, "modified its input x"),
        (_f_tuple, "returned a tuple of 2 items"),
        (_f_half_precision, "wrong value at"),
        (lambda x, g, b, eps: None, "returned None"),
        (lambda x, g, b, eps: x[0], "returned shape"),
        (lambda x, g, b, eps: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_check_batchnorm_forward_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_batchnorm_forward(wrong)


# --- check_batchnorm_backward --------------------------------------------------------


def backward_ok(dy, x, gamma, eps):
    _, cache = batchnorm.batchnorm_forward(x, gamma, 0.0, eps)
    return batchnorm.batchnorm_backward(dy, cache)


def backward_paper(
    dy, x, gamma, eps, drop=None, sign=1.0, ddof=0, mean_divisor=None, var_divisor=None
):
    """The paper's formulas term by term; the keywords make the classic mistakes.

    ``drop`` leaves one term of dx out, ``sign=-1`` flips dl/dvar, ``ddof=1`` uses
    the unbiased variance, ``mean_divisor`` and ``var_divisor`` replace the m that
    divides the mean and the variance terms.
    """
    m = x.shape[0]
    mean_divisor = m if mean_divisor is None else mean_divisor
    var_divisor = m if var_divisor is None else var_divisor
    mu = x.mean(axis=0)
    var = x.var(axis=0, ddof=ddof)
    x_hat = (x - mu) / np.sqrt(var + eps)
    dx_hat = dy * gamma
    dvar = sign * (dx_hat * (x - mu)).sum(axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = (-dx_hat / np.sqrt(var + eps)).sum(axis=0) + dvar * (-2 * (x - mu)).sum(
        axis=0
    ) / m
    terms = {
        "direct": dx_hat / np.sqrt(var + eps),
        "variance": dvar * 2 * (x - mu) / var_divisor,
        "mean": dmu / mean_divisor,
    }
    dx = sum(t for name, t in terms.items() if name != drop)
    return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)


def backward_jacobian(dy, x, gamma, eps):  # written differently: the full Jacobian
    m, d = x.shape
    dx = np.empty_like(x)
    for j in range(d):
        c = x[:, j] - x[:, j].mean()
        s = 1 / np.sqrt(c @ c / m + eps)
        x_hat = c * s
        jac = gamma[j] * s * (np.eye(m) - 1 / m - np.outer(x_hat, x_hat) / m)
        dx[:, j] = jac.T @ dy[:, j]
    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    return dx, np.einsum("ij,ij->j", dy, x_hat), dy.sum(axis=0)


def _b_replace(index, make):
    def wrong(dy, x, gamma, eps):
        out = list(backward_ok(dy, x, gamma, eps))
        out[index] = make(dy, x, gamma, eps)
        return tuple(out)

    return wrong


def _x_hat(x, eps):
    return (x - x.mean(0)) / np.sqrt(x.var(0) + eps)


def _b_in_place(dy, x, gamma, eps):
    result = backward_ok(dy, x, gamma, eps)
    dy *= gamma
    return result


@pytest.mark.parametrize(
    "solution",
    [backward_ok, backward_paper, backward_jacobian, lambda *a: list(backward_ok(*a))],
)
def test_check_batchnorm_backward_accepts_correct_solutions(solution):
    assert checks.check_batchnorm_backward(solution) is True
    assert checks.check_batchnorm_backward(solution, seed=3) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (lambda *a: backward_paper(*a, drop="direct"), "the direct term"),
        (lambda *a: backward_paper(*a, drop="variance"), "the path through the var"),
        (lambda *a: backward_paper(*a, drop="mean"), "the path through the mean"),
        (lambda *a: backward_paper(*a, sign=-1.0), "the wrong sign"),
        (lambda *a: backward_paper(*a, mean_divisor=1), "divide dl/dmu by m"),
        (lambda *a: backward_paper(*a, var_divisor=1), "2 \\(x_i - mu\\) / m"),
        (
            _b_replace(1, lambda dy, x, g, eps: (dy * _x_hat(x, eps)).mean(0)),
            "dgamma is a sum over the batch, not a mean",
        ),
        (
            _b_replace(
                1,
                lambda dy, x, g, eps: (
                    dy * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps)
                ).sum(0),
            ),
            "x_hat must use the biased variance",
        ),
        (
            _b_replace(0, lambda dy, x, g, eps: dy * g / np.sqrt(x.var(0) + eps)),
            "as constants",
        ),
        (
            _b_replace(0, lambda dy, x, g, eps: backward_ok(dy, x, g, eps)[0] / g),
            "gamma is missing",
        ),
        (
            _b_replace(
                0,
                lambda dy, x, g, eps: backward_paper(dy, x, g, eps, ddof=1)[0],
            ),
            "unbiased variance",
        ),
        (
            _b_replace(
                0,
                lambda dy, x, g, eps: (
                    backward_paper(dy.T, x.T, g[:, None], eps)[0].T
                    if x.shape[1] > 1
                    else backward_ok(dy, x, g, eps)[0]
                ),
            ),
            "wrong axis",
        ),
        (_b_replace(1, lambda dy, x, g, eps: dy.sum(0)), "dgamma without x_hat"),
        (_b_replace(1, lambda dy, x, g, eps: (dy * x).sum(0)), "x instead of x_hat"),
        (
            _b_replace(1, lambda dy, x, g, eps: (dy * _x_hat(x, eps) * g).sum(0)),
            "extra factor gamma",
        ),
        (
            _b_replace(1, lambda dy, x, g, eps: (dy * _x_hat(x, eps)).sum(1)),
            "one value per example",
        ),
        (_b_replace(2, lambda dy, x, g, eps: dy.mean(0)), "not the mean"),
        (_b_replace(2, lambda dy, x, g, eps: (dy * g).sum(0)), "gamma does not enter"),
        (lambda *a: (lambda r: (r[0], r[2], r[1]))(backward_ok(*a)), "swapped"),
        (lambda *a: backward_ok(*a)[:2], "three arrays"),
        (lambda *a: backward_ok(*a)[0], "three arrays"),
        (_b_in_place, "modified its input dy"),
    ],
)
def test_check_batchnorm_backward_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_batchnorm_backward(wrong)


# --- check_batchnorm_inference -------------------------------------------------------


def inference_ok(x, gamma, beta, mean, var, eps):
    return batchnorm.batchnorm_inference(x, gamma, beta, mean, var, eps)


def inference_affine(x, gamma, beta, mean, var, eps):  # written differently: a*x + b
    scale = gamma / np.sqrt(var + eps)
    return x * scale + (beta - mean * scale)


def _inference(x, gamma, beta, mean, var, eps):
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _i_batch_stats(x, g, b, mean, var, eps):
    return _inference(x, g, b, x.mean(0), x.var(0), eps)


def _i_no_sqrt(x, g, b, mean, var, eps):
    return g * (x - mean) / (var + eps) + b


def _i_eps_outside(x, g, b, mean, var, eps):
    return g * (x - mean) / (np.sqrt(var) + eps) + b


def _i_swapped(x, g, b, mean, var, eps):
    return _inference(x, b, g, mean, var, eps)


def _i_unbiased(x, g, b, mean, var, eps):
    m = len(x)
    return _inference(x, g, b, mean, var * m / (m - 1) if m > 1 else var, eps)


def _i_in_place(x, g, b, mean, var, eps):
    var += eps
    return g * (x - mean) / np.sqrt(var) + b


@pytest.mark.parametrize("solution", [inference_ok, inference_affine])
def test_check_batchnorm_inference_accepts_correct_solutions(solution):
    assert checks.check_batchnorm_inference(solution) is True
    assert checks.check_batchnorm_inference(solution, seed=7) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_i_batch_stats, "the batch's own mean and variance"),
        (_i_no_sqrt, "the square root is missing"),
        (_i_eps_outside, "eps is outside the square root"),
        (lambda x, g, b, mu, v, eps: _inference(x, g, b, mu, v, 0.0), "eps is missing"),
        (
            lambda x, g, b, mu, v, eps: _inference(x, g, b, mu, v**2, eps),
            "do not square",
        ),
        (
            lambda x, g, b, mu, v, eps: _inference(x, g, b, 0.0, v, eps),
            "not subtracted",
        ),
        (_i_swapped, "gamma and beta are swapped"),
        (lambda x, g, b, mu, v, eps: _inference(x, 1.0, 0.0, mu, v, eps), "the scale"),
        (
            lambda x, g, b, mu, v, eps: _inference(x, 1.0, b, mu, v, eps),
            "gamma is miss",
        ),
        (_i_unbiased, "m / \\(m - 1\\)"),
        (_i_in_place, "modified its input var"),
        (lambda x, g, b, mu, v, eps: None, "returned None"),
    ],
)
def test_check_batchnorm_inference_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_batchnorm_inference(wrong)


# --- check_layernorm_forward ---------------------------------------------------------


def layernorm_ok(x, gamma, beta, eps):
    return batchnorm.layernorm_forward(x, gamma, beta, eps)[0]


def layernorm_transposed(x, gamma, beta, eps):  # written differently: BN of x.T
    x_t = x.T  # (D, N): each example is a column, normalised over axis 0
    mu = x_t.sum(axis=0) / x_t.shape[0]
    var = ((x_t - mu) ** 2).sum(axis=0) / x_t.shape[0]
    return ((x_t - mu) * (var + eps) ** -0.5).T * gamma + beta


def _layernorm(x, gamma, beta, eps, axis=-1, ddof=0):
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def _ln_in_place(x, g, b, eps):
    x -= x.mean(axis=1, keepdims=True)
    x /= np.sqrt(x.var(axis=1, keepdims=True) + eps)
    return g * x + b


@pytest.mark.parametrize("solution", [layernorm_ok, layernorm_transposed])
def test_check_layernorm_forward_accepts_correct_solutions(solution):
    assert checks.check_layernorm_forward(solution) is True
    assert checks.check_layernorm_forward(solution, seed=4) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (
            lambda x, g, b, eps: _layernorm(x, g, b, eps, axis=0),
            "batch axis .* that is batch normalization",
        ),
        (lambda x, g, b, eps: _layernorm(x, g, b, eps, ddof=1), "unbiased variance"),
        (
            lambda x, g, b, eps: (
                g * (x - x.mean(1, keepdims=True)) / (x.std(1, keepdims=True) + eps) + b
            ),
            "eps is outside the square root",
        ),
        (
            lambda x, g, b, eps: (
                g * ((x - x.mean(1, keepdims=True)) / x.std(1, keepdims=True) + eps) + b
            ),
            "eps is outside the square root",
        ),
        (lambda x, g, b, eps: _layernorm(x, g, b, 0.0), "eps is missing"),
        (lambda x, g, b, eps: _layernorm(x, g, b, eps, axis=None), "all values"),
        (lambda x, g, b, eps: _layernorm(x, 1.0, 0.0, eps), "scale and shift"),
        (lambda x, g, b, eps: _layernorm(x, b, g, eps), "gamma and beta are swapped"),
        (lambda x, g, b, eps: _layernorm(x, g, 0.0, eps), "beta is missing"),
        (lambda x, g, b, eps: _layernorm(x, 1.0, b, eps), "gamma is missing"),
        (
            lambda x, g, b, eps: (
                g * (x - x.mean(1, keepdims=True)) / (x.var(1, keepdims=True) + eps) + b
            ),
            "the square root is missing",
        ),
        (
            lambda x, g, b, eps: g * x / np.sqrt(x.var(1, keepdims=True) + eps) + b,
            "the mean is not subtracted",
        ),
        (
            lambda x, g, b, eps: (
                g
                * (x - x.mean(1, keepdims=True))
                / np.sqrt((x**2).mean(1, keepdims=True) + eps)
                + b
            ),
            "the variance is not centred",
        ),
        (_ln_in_place, "modified its input x"),
        (lambda x, g, b, eps: batchnorm.layernorm_forward(x, g, b, eps), "a tuple"),
        (lambda x, g, b, eps: None, "returned None"),
        (lambda x, g, b, eps: x.T, "returned shape"),
    ],
)
def test_check_layernorm_forward_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_layernorm_forward(wrong)


# --- check_groupnorm_forward ---------------------------------------------------------


def groupnorm_ok(x, gamma, beta, groups, eps):
    return batchnorm.groupnorm_forward(x, gamma, beta, groups, eps)[0]


def groupnorm_loops(x, gamma, beta, groups, eps):  # written differently: a loop
    y = np.empty_like(x)
    size = x.shape[-1] // groups
    for n in range(x.shape[0]):
        for g in range(groups):
            channels = slice(g * size, (g + 1) * size)
            values = x[n, :, :, channels]
            mu = values.mean()
            var = ((values - mu) ** 2).mean()
            y[n, :, :, channels] = (values - mu) / np.sqrt(var + eps)
    return y * gamma + beta


def _groupnorm(
    x, gamma, beta, groups, eps, axes=(1, 2, 4), stride=False, per_group=False
):
    """Group norm on the grouped layout; the keywords make the classic mistakes."""
    n, h, w, c = x.shape
    if stride:
        xg = x.reshape(n, h, w, c // groups, groups).swapaxes(3, 4)
    else:
        xg = x.reshape(n, h, w, groups, c // groups)
    x_hat = (xg - xg.mean(axis=axes, keepdims=True)) / np.sqrt(
        xg.var(axis=axes, keepdims=True) + eps
    )
    if per_group:  # one gamma and beta per group
        return (x_hat * gamma[:groups, None] + beta[:groups, None]).reshape(x.shape)
    if stride:
        x_hat = x_hat.swapaxes(3, 4)
    return x_hat.reshape(x.shape) * gamma + beta


def _gn_instance(x, g, b, groups, eps):
    mu, var = x.mean(axis=(1, 2), keepdims=True), x.var(axis=(1, 2), keepdims=True)
    return g * (x - mu) / np.sqrt(var + eps) + b


def _gn_in_place(x, g, b, groups, eps):
    y = groupnorm_ok(x, g, b, groups, eps)
    x[...] = 0.0
    return y


@pytest.mark.parametrize("solution", [groupnorm_ok, groupnorm_loops, _groupnorm])
def test_check_groupnorm_forward_accepts_correct_solutions(solution):
    assert checks.check_groupnorm_forward(solution) is True
    assert checks.check_groupnorm_forward(solution, seed=2) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (
            lambda *a: _groupnorm(*a, stride=True),
            "grouped by stride .* contiguous",
        ),
        (_gn_instance, "statistics per channel: that is instance normalization"),
        (lambda *a: _groupnorm(*a, axes=(0, 1, 2, 4)), "the batch axis is included"),
        (lambda *a: _groupnorm(*a, per_group=True), "applied per group"),
        (
            lambda x, g, b, groups, eps: _groupnorm(x, g, b, 1, eps),
            "groups is ignored",
        ),
        (lambda *a: _groupnorm(*a, axes=(4,)), "at each pixel only"),
        (
            lambda x, g, b, groups, eps: batchnorm.batchnorm_forward(x, g, b, eps)[0],
            "that is batch normalization",
        ),
        (
            lambda x, g, b, groups, eps: _groupnorm(x, b, g, groups, eps),
            "gamma and beta are swapped",
        ),
        (
            lambda x, g, b, groups, eps: _groupnorm(x, 1.0, 0.0, groups, eps),
            "scale and shift are missing",
        ),
        (
            lambda x, g, b, groups, eps: _groupnorm(x, g, b, groups, 0.0),
            "eps is missing",
        ),
        (_gn_in_place, "modified its input x"),
        (lambda x, g, b, groups, eps: None, "returned None"),
    ],
)
def test_check_groupnorm_forward_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_groupnorm_forward(wrong)
