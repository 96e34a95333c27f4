"""The checkers of chapter 11: right solutions pass, each known mistake is named."""

import numpy as np
import pytest

import convbn
from convbn import checks, losses
from convbn.checks import ch11

HISTORIES = {
    "SGD": [2.3, 2.0, 1.8],
    "Adam": [1.8, 0.9, 0.6],
    "Adadelta": [2.4, 2.39, 2.38],
}


# --- check_custom_loss ---


def _ops():
    return convbn.import_keras().ops


def log_cosh_each(a, b):
    """log cosh(b - a), elementwise, as |x| + log(1 + exp(-2|x|)) - log 2."""
    ops = _ops()
    x = ops.abs(b - a)
    return x + ops.log1p(ops.exp(-2.0 * x)) - np.log(2.0)


def log_cosh_ok(y_true, y_pred):
    return _ops().mean(log_cosh_each(y_true, y_pred), axis=-1)


def log_cosh_softplus(y_true, y_pred):  # Keras's own form: x + softplus(-2x) - log 2
    ops = _ops()
    x = y_pred - y_true
    each = x + ops.softplus(-2.0 * x) - ops.log(2.0)
    return ops.sum(each, axis=-1) / ops.shape(x)[-1]


def log_cosh_tensorflow(y_true, y_pred):
    import tensorflow as tf

    x = tf.abs(y_pred - y_true)
    return tf.reduce_mean(x + tf.math.log1p(tf.exp(-2.0 * x)) - tf.math.log(2.0), -1)


@pytest.mark.parametrize(
    "solution",
    [
        log_cosh_ok,
        log_cosh_softplus,
        log_cosh_tensorflow,
        lambda y_true, y_pred: convbn.import_keras().losses.log_cosh(y_true, y_pred),
    ],
)
def test_check_custom_loss_accepts_correct_solutions(solution):
    assert checks.check_custom_loss(solution) is True
    assert checks.check_custom_loss(solution, seed=3) is True


def _naive(a, b):  # log(cosh(x)): cosh overflows float32 above 89
    ops = _ops()
    return ops.mean(ops.log(ops.cosh(b - a)), axis=-1)


def _naive_exp(a, b):
    ops = _ops()
    x = b - a
    return ops.mean(ops.log((ops.exp(x) + ops.exp(-x)) / 2.0), axis=-1)


def _no_log2(a, b):
    ops = _ops()
    x = ops.abs(b - a)
    return ops.mean(x + ops.log1p(ops.exp(-2.0 * x)), axis=-1)


def _large_only(a, b):
    ops = _ops()
    return ops.mean(ops.abs(b - a) - np.log(2.0), axis=-1)


def _small_only(a, b):
    ops = _ops()
    return ops.mean(0.5 * ops.square(b - a), axis=-1)


def _dot_numpy(a, b):
    return log_cosh_ok(a, b).numpy()


def _numpy_inside(a, b):  # eager works, graph mode cannot call .numpy()
    ops = _ops()
    return log_cosh_ok(ops.convert_to_tensor(a.numpy()), b)


def _no_gradient(a, b):
    return _ops().stop_gradient(log_cosh_ok(a, b))


def _wrong_gradient(a, b):
    ops = _ops()
    drift = ops.mean(b, axis=-1) - ops.stop_gradient(ops.mean(b, axis=-1))
    return log_cosh_ok(a, b) + 0.1 * drift


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (lambda a, b: _ops().mean(log_cosh_each(a, b)), "like the slides' T.mean"),
        (lambda a, b: _ops().sum(log_cosh_each(a, b)), "a sum over everything"),
        (lambda a, b: _ops().sum(log_cosh_each(a, b), axis=-1), "sum instead of mean"),
        (lambda a, b: _ops().mean(log_cosh_each(a, b), axis=0), "over axis 0 instead"),
        (
            lambda a, b: _ops().mean(
                log_cosh_each(a, b), axis=tuple(range(1, len(a.shape)))
            ),
            "instead of the last axis only",
        ),
        (
            lambda a, b: _ops().mean(log_cosh_each(a, b), axis=-1, keepdims=True),
            "do not keep the reduced axis",
        ),
        (log_cosh_each, "nothing is averaged"),
        (_naive, "infinite or NaN for errors above 89"),
        (_naive_exp, "infinite or NaN for errors above 89"),
        (_no_log2, "subtract log 2"),
        (_large_only, "only for large errors"),
        (_small_only, "only for small errors"),
        (lambda a, b: _ops().mean(_ops().square(b - a), -1), "the mean squared error"),
        (lambda a, b: _ops().mean(_ops().abs(b - a), -1), "the mean absolute error"),
        (lambda a, b: -log_cosh_ok(a, b), "the sign is wrong"),
        (lambda a, b: np.asarray(log_cosh_ok(a, b)), "returned a numpy value"),
        (_dot_numpy, "returned a numpy value"),
        (lambda a, b: [1.0, 2.0], "must return a tensor"),
        (_numpy_inside, "fails in graph mode"),
        (_no_gradient, "no gradient flows"),
        (_wrong_gradient, "gradient of your loss"),
        (lambda a, b: _ops().mean(log_cosh_each(a, b), axis=5), "raised"),
        ("not a function", "expected a function"),
    ],
)
def test_check_custom_loss_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_custom_loss(wrong)


def test_check_custom_loss_tries_batch_by_1_and_3d_shapes():
    seen = []

    def spy(a, b):
        seen.append(tuple(a.shape))
        return log_cosh_ok(a, b)

    checks.check_custom_loss(spy)
    assert any(len(s) == 2 and s[-1] == 1 for s in seen)
    assert any(len(s) == 3 for s in seen) and any(len(s) == 4 for s in seen)


# --- check_categorical_crossentropy ---


def log_softmax(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cce_ok(y_true, y_pred, from_logits=False):
    if from_logits:
        return -np.sum(y_true * log_softmax(y_pred), axis=-1)
    p = y_pred / y_pred.sum(axis=-1, keepdims=True)
    return -np.sum(y_true * np.log(np.clip(p, 1e-7, 1 - 1e-7)), axis=-1)


def cce_loop(y_true, y_pred, from_logits=False):  # clip first, logaddexp by hand
    flat_true = y_true.reshape(-1, y_true.shape[-1])
    flat_pred = y_pred.reshape(-1, y_pred.shape[-1])
    out = []
    for t, p in zip(flat_true, flat_pred, strict=True):
        if from_logits:
            top = p.max()
            log_total = top + np.log(sum(np.exp(p_k - top) for p_k in p))
            out.append(
                -sum(t_k * (p_k - log_total) for t_k, p_k in zip(t, p, strict=True))
            )
            continue
        p = np.clip(p / p.sum(), 1e-7, 1 - 1e-7)
        out.append(-sum(t_k * np.log(p_k) for t_k, p_k in zip(t, p, strict=True)))
    return np.array(out).reshape(y_true.shape[:-1])


def cce_scipy(y_true, y_pred, from_logits=False):
    from scipy.special import log_softmax as scipy_log_softmax

    if from_logits:
        return -np.sum(y_true * scipy_log_softmax(y_pred, axis=-1), axis=-1)
    return cce_ok(y_true, y_pred)


@pytest.mark.parametrize(
    "solution", [cce_ok, cce_loop, cce_scipy, losses.categorical_crossentropy]
)
def test_check_categorical_crossentropy_accepts_correct_solutions(solution):
    assert checks.check_categorical_crossentropy(solution) is True
    assert checks.check_categorical_crossentropy(solution, seed=5) is True


def test_the_logits_cases_hold_chapter_11s_confident_mistake():
    seen = []

    def spy(y_true, y_pred, from_logits=False):
        seen.append((from_logits, y_pred.copy()))
        return cce_ok(y_true, y_pred, from_logits)

    checks.check_categorical_crossentropy(spy)
    logits = [z for flag, z in seen if flag]
    assert any(np.array_equal(z[0], [0.0, 40.0]) for z in logits)
    assert any(np.abs(z).max() >= 1000 for z in logits)
    assert not any(flag for flag, z in seen[:8])  # probabilities first


def _logits_variant(kind):
    def loss(y_true, y_pred, from_logits=False):
        if not from_logits:
            return cce_ok(y_true, y_pred)
        z = y_pred
        if kind == "clipped softmax":
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            return cce_ok(y_true, e / e.sum(axis=-1, keepdims=True))
        if kind == "ignored":
            return cce_ok(y_true, z)
        if kind == "no log-sum":
            return -np.sum(y_true * z, axis=-1)
        if kind == "overflow":
            e = np.exp(z)
            return -np.sum(y_true * np.log(e / e.sum(axis=-1, keepdims=True)), axis=-1)
        if kind == "log of softmax":
            e = np.exp(z - z.max(axis=-1, keepdims=True))
            return -np.sum(y_true * np.log(e / e.sum(axis=-1, keepdims=True)), axis=-1)
        return -cce_ok(y_true, z, True)  # sign

    return loss


@pytest.mark.parametrize(
    ("kind", "match"),
    [
        ("clipped softmax", "formed the softmax and clipped it"),
        ("ignored", "from_logits=True is ignored"),
        ("no log-sum", "the log of the sum is missing"),
        ("overflow", "infinite or NaN for logits of \\+-1000"),
        ("log of softmax", "without forming softmax"),
        ("sign", "the sign is wrong"),
    ],
)
def test_check_categorical_crossentropy_names_the_logits_mistake(kind, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_categorical_crossentropy(_logits_variant(kind))


def test_a_two_argument_function_is_told_about_from_logits():
    with pytest.raises(AssertionError, match="TypeError"):
        checks.check_categorical_crossentropy(lambda t, p: cce_ok(t, p))


def _normalise(p):
    return p / p.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (
            lambda t, p: -np.sum(t * np.log(_normalise(p)), axis=-1),
            "infinite or NaN when the true class gets probability 0",
        ),
        (
            lambda t, p: -np.sum(t * np.log(np.clip(p, 1e-7, 1 - 1e-7)), axis=-1),
            "not rescaled",
        ),
        (
            lambda t, p: (
                -np.sum(t * np.log(np.clip(_normalise(p), 1e-15, 1 - 1e-15)), axis=-1)
            ),
            "clipped with epsilon 1e-15",
        ),
        (lambda t, p: -cce_ok(t, p), "the sign is wrong"),
        (lambda t, p: cce_ok(t, p) / t.shape[-1], "mean instead of sum"),
        (lambda t, p: cce_ok(t, p) / np.log(10), "log base 10"),
        (lambda t, p: cce_ok(t, p).mean(), "reduced to a scalar"),
        (
            lambda t, p: (
                -np.sum(
                    t * np.log(np.clip(_normalise(p), 1e-7, 1 - 1e-7))
                    + (1 - t) * np.log(1 - np.clip(_normalise(p), 1e-7, 1 - 1e-7)),
                    axis=-1,
                )
            ),
            "binary crossentropy",
        ),
        (
            lambda t, p: cce_ok(np.eye(t.shape[-1])[t.argmax(axis=-1)], p),
            "only the most likely class of y_true",
        ),
        (lambda t, p, f=False: cce_ok(t, p, f)[..., None], "returned shape"),
        (lambda t, p, f=False: cce_ok(t, p, f) + 0.01, "wrong value for sample"),
    ],
)
def test_check_categorical_crossentropy_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_categorical_crossentropy(wrong)


# --- check_adam_step ---


def adam_ok(w, g, m, v, t, lr, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon), m, v


def adam_keras_form(w, g, m, v, t, lr, beta_1, beta_2, epsilon):
    m = m + (g - m) * (1 - beta_1)
    v = v + (g * g - v) * (1 - beta_2)
    alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (np.sqrt(v) + epsilon), m, v


def adam_eps_inside(w, g, m, v, t, lr, beta_1, beta_2, epsilon):
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g**2
    m_hat, v_hat = m / (1 - beta_1**t), v / (1 - beta_2**t)
    return [w - lr * m_hat / np.sqrt(v_hat + epsilon), m, v]


def adam_keras_loop(w, g, m, v, t, lr, beta_1, beta_2, epsilon):  # written out
    w_new, m_new, v_new = w.copy(), m.copy(), v.copy()
    for i in np.ndindex(w.shape):
        m_new[i] = beta_1 * m[i] + (1 - beta_1) * g[i]
        v_new[i] = beta_2 * v[i] + (1 - beta_2) * g[i] ** 2
        rate = lr * (1 - beta_2**t) ** 0.5 / (1 - beta_1**t)
        w_new[i] = w[i] - rate * m_new[i] / (v_new[i] ** 0.5 + epsilon)
    return w_new, m_new, v_new


@pytest.mark.parametrize("solution", [adam_keras_form, adam_keras_loop])
def test_check_adam_step_accepts_correct_solutions(solution):
    assert checks.check_adam_step(solution) is True
    assert checks.check_adam_step(solution, seed=7) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (adam_ok, "the paper's Algorithm 1"),
        (adam_eps_inside, "epsilon is inside the square root, and the correction"),
        (
            lambda w, g, m, v, t, lr, b1, b2, eps: adam_keras_form(
                w,
                g,
                m,
                v,
                t,
                lr,
                b1,
                b2,
                0.0,  # Keras's form without epsilon
            ),
            "add epsilon",
        ),
    ],
)
def test_check_adam_step_names_the_paper_s_form_on_tiny_gradients(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_adam_step(wrong)


def test_the_paper_s_form_differs_from_keras_on_a_tiny_first_gradient():
    """At t = 1 with |g| = 1e-6, Keras moves the weight by 0.24 eta, the paper's
    form by 0.91 eta (epsilon / sqrt(1 - beta_2) = 3.2e-6 against epsilon)."""
    keras = convbn.import_keras()
    ops = keras.ops
    variable = keras.Variable(np.zeros(1, dtype="float32"))
    keras.optimizers.Adam(learning_rate=1.0).apply_gradients(
        [(ops.convert_to_tensor(np.array([1e-6], dtype="float32")), variable)]
    )
    g, zero = np.array([1e-6]), np.zeros(1)
    keras_step = ch11.adam_reference(zero, g, zero, zero, 1, 1.0, 0.9, 0.999, 1e-7)[0]
    paper = adam_ok(zero, g, zero, zero, 1, 1.0, 0.9, 0.999, 1e-7)[0]
    np.testing.assert_allclose(ops.convert_to_numpy(variable), keras_step, rtol=1e-4)
    assert keras_step[0] == pytest.approx(-0.2402, abs=1e-4)
    assert paper[0] == pytest.approx(-0.9091, abs=1e-4)


def test_adam_reference_is_keras_adam():
    keras = convbn.import_keras()
    ops = keras.ops
    rng = np.random.default_rng(0)
    w0 = rng.normal(size=5).astype("float32")
    variable = keras.Variable(w0)
    optimizer = keras.optimizers.Adam(learning_rate=0.05, beta_1=0.85, beta_2=0.99)
    w, m, v = w0.astype(float), np.zeros(5), np.zeros(5)
    for t in range(1, 8):
        g = rng.normal(size=5).astype("float32")
        optimizer.apply_gradients([(ops.convert_to_tensor(g), variable)])
        w, m, v = ch11.adam_reference(w, g, m, v, t, 0.05, 0.85, 0.99, 1e-7)
    np.testing.assert_allclose(w, ops.convert_to_numpy(variable), rtol=1e-5, atol=1e-6)


def _adam_variant(**changes):
    def step(w, g, m, v, t, lr, b1, b2, eps):
        b1_m = changes.get("b1_m", b1)
        m_new = (
            changes["m"](m, g, b1, b2) if "m" in changes else b1_m * m + (1 - b1) * g
        )
        v_new = (
            changes["v"](v, g, b1, b2) if "v" in changes else b2 * v + (1 - b2) * g**2
        )
        t_hat = changes.get("t", lambda t: t)(t)
        m_hat = m_new / (1 - b1**t_hat) if changes.get("correct_m", True) else m_new
        v_hat = v_new / (1 - b2**t_hat) if changes.get("correct_v", True) else v_new
        if changes.get("old"):
            m_hat, v_hat = m / (1 - b1**t) if t > 0 else m, v / (1 - b2**t)
        root = np.sqrt(v_hat) if changes.get("sqrt", True) else v_hat
        eps_used = 0.0 if changes.get("no_eps") else eps
        sign = changes.get("sign", -1.0)
        return w + sign * lr * m_hat / (root + eps_used), m_new, v_new

    return step


def _in_place(w, g, m, v, t, lr, b1, b2, eps):
    m *= b1
    m += (1 - b1) * g
    v *= b2
    v += (1 - b2) * g**2
    w -= lr * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + eps)
    return w, m, v


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_adam_variant(correct_m=False, correct_v=False), "no bias correction"),
        (_adam_variant(correct_m=False), "m is not bias-corrected"),
        (_adam_variant(correct_v=False), "v is not bias-corrected"),
        (_adam_variant(t=lambda t: t - 1), "1 - beta\\*\\*t must not be 0"),
        (_adam_variant(t=lambda t: t + 1), "the bias correction uses t \\+ 1"),
        (_adam_variant(sign=1.0), "the step goes uphill"),
        (_adam_variant(sqrt=False), "the square root of v_hat is missing"),
        (_adam_variant(old=True), "uses the old moments"),
        (_adam_variant(no_eps=True), "add epsilon"),
        (_adam_variant(m=lambda m, g, b1, b2: b1 * m + g), "misses the factor"),
        (
            _adam_variant(m=lambda m, g, b1, b2: (1 - b1) * m + b1 * g),
            "weights the old m",
        ),
        (
            _adam_variant(m=lambda m, g, b1, b2: b2 * m + (1 - b2) * g),
            "m_new uses beta_2",
        ),
        (
            _adam_variant(v=lambda v, g, b1, b2: b2 * v + (1 - b2) * g),
            "squared gradient",
        ),
        (
            _adam_variant(v=lambda v, g, b1, b2: b2 * v + (1 - b2) * abs(g)),
            "not \\|g\\|",
        ),
        (
            _adam_variant(v=lambda v, g, b1, b2: (1 - b2) * v + b2 * g**2),
            "weights the old v",
        ),
        (
            _adam_variant(v=lambda v, g, b1, b2: b1 * v + (1 - b1) * g**2),
            "v_new uses beta_1",
        ),
        (lambda w, g, m, v, t, lr, b1, b2, eps: (w - lr * g, m, v), "m_new is wrong"),
        (lambda w, g, m, v, t, lr, b1, b2, eps: w, "must return the tuple"),
        (_in_place, "modified its input"),
    ],
)
def test_check_adam_step_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_adam_step(wrong)


def test_check_adam_step_recognises_plain_gradient_descent_when_moments_are_right():
    def sgd_with_moments(w, g, m, v, t, lr, b1, b2, eps):
        return w - lr * g, b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g**2

    with pytest.raises(AssertionError, match="plain gradient descent step"):
        checks.check_adam_step(sgd_with_moments)


# --- check_inverse_time_decay ---


def decay_ok(step, lr0, decay_steps, rate, staircase=False):
    p = np.asarray(step) / decay_steps
    return lr0 / (1 + rate * (np.floor(p) if staircase else p))


def decay_loop(step, lr0, decay_steps, rate, staircase=False):
    out = []
    for s in np.asarray(step).ravel():
        p = s // decay_steps if staircase else s / decay_steps
        out.append(lr0 / (1 + rate * p))
    return np.array(out).reshape(np.shape(step))


def decay_keras(step, lr0, decay_steps, rate, staircase=False):
    keras = convbn.import_keras()
    schedule = keras.optimizers.schedules.InverseTimeDecay(
        lr0, decay_steps, rate, staircase=staircase
    )
    return np.array([float(schedule(int(s))) for s in step])


@pytest.mark.parametrize("solution", [decay_ok, decay_loop])
def test_check_inverse_time_decay_accepts_correct_solutions(solution):
    assert checks.check_inverse_time_decay(solution) is True
    assert checks.check_inverse_time_decay(solution, seed=2) is True


def test_inverse_time_decay_reference_is_keras():
    steps = np.array([0, 3, 7, 10, 25, 99])
    for staircase in (False, True):
        np.testing.assert_allclose(
            decay_keras(steps, 0.1, 7, 0.6, staircase),
            decay_ok(steps, 0.1, 7, 0.6, staircase),
            rtol=1e-6,
        )


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (lambda s, lr, d, r, st=False: lr * (1 + r * s / d), "must shrink"),
        (lambda s, lr, d, r, st=False: lr / (1 + r * s), "decay_steps is ignored"),
        (lambda s, lr, d, r, st=False: lr * r ** (s / d), "exponential decay"),
        (lambda s, lr, d, r, st=False: lr * np.exp(-r * s / d), "exponential decay"),
        (
            lambda s, lr, d, r, st=False: decay_ok(s, lr, d, r, False),
            "staircase=True is ignored",
        ),
        (
            lambda s, lr, d, r, st=False: decay_ok(s, lr, d, r, True),
            "rounded down although",
        ),
        (lambda s, lr, d, r, st=False: decay_ok(s, lr, d, r, st)[0], "returned shape"),
        (
            lambda s, lr, d, r, st=False: decay_ok(s, lr, d, r, st) * 1.01,
            "wrong learning rate at step",
        ),
    ],
)
def test_check_inverse_time_decay_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_inverse_time_decay(wrong)
