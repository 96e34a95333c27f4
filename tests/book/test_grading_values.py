"""What crosses the wire besides arrays: a Keras model a checker hands the student's
function (its weights come back), and the results of ``convbn.experiments`` (records
of an allow-listed class, rebuilt from data); then chapter 9's reference solutions,
which need both, graded in the sandbox with full marks.
"""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pytest
from test_grading import wire  # noqa: F401  (the fixture, reused)

from conftest import ROOT
from convbn_tools import gradebook
from convbn_tools.homework import find_exercises

CH09 = "09_bn_in_practice"


@pytest.fixture
def channels(request):
    """The ``wire`` fixture's two Channels, (grader, sandbox), the sandbox's able
    to build the models the grader sends, as the real sandbox does."""
    from convbn_tools.sandbox import _sizes_here

    grader, sandbox = request.getfixturevalue("wire")
    sandbox.model_sizes = _sizes_here
    return grader, sandbox


def bn_model(units: int = 4):
    """A Dense layer then BatchNormalization (moving statistics 0 and 1)."""
    import keras

    inputs = keras.Input((3,))
    x = keras.layers.BatchNormalization()(keras.layers.Dense(units)(inputs))
    return keras.Model(inputs, x)


def remote(grader, sandbox, fn):
    sandbox.exported = [fn]
    return grader.decode(("fn", 0, fn.__name__))


# --------------------------------------------------------------------------
# A Keras model passed to the student's function
# --------------------------------------------------------------------------
def test_a_model_argument_comes_back_with_every_weight(channels):
    """The student's function sets the BN layer's moving statistics (not
    trainable) and a kernel in its copy; the checker's model gets them all."""
    grader, sandbox = channels

    def set_statistics(model, x):
        bn = model.layers[-1]
        bn.moving_mean.assign(np.full(4, 0.5, "float32"))
        bn.moving_variance.assign(np.full(4, 2.0, "float32"))
        kernel = model.layers[1].kernel
        kernel.assign(kernel.numpy() + 1.0)
        x[0, 0] = 7.0  # arrays still come back too
        return 1

    model, x = bn_model(), np.zeros((2, 3), "float32")
    kernel = model.layers[1].kernel.numpy()
    assert remote(grader, sandbox, set_statistics)(model, x) == 1
    bn = model.layers[-1]
    assert np.array_equal(bn.moving_mean.numpy(), np.full(4, 0.5))
    assert np.array_equal(bn.moving_variance.numpy(), np.full(4, 2.0))
    assert np.allclose(model.layers[1].kernel.numpy(), kernel + 1.0)
    assert x[0, 0] == 7.0


def test_a_model_left_alone_is_left_alone(channels):
    grader, sandbox = channels

    def predict(model, x):
        return np.asarray(model(x, training=False))

    model = bn_model()
    before = [w.copy() for w in model.get_weights()]
    got = remote(grader, sandbox, predict)(model, np.ones((2, 3), "float32"))
    assert got.shape == (2, 4)
    after = model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(before, after, strict=True))


def test_a_model_whose_weights_do_not_match_fails_the_call(channels):
    """A model replaced by another (other shapes): the call fails, naming both."""
    grader, sandbox = channels

    def swaps(models):
        models[0] = bn_model(units=5)  # the caller's list now holds another model

    model = bn_model()
    before = [w.copy() for w in model.get_weights()]
    with pytest.raises(ValueError, match=r"came back with 6 weights of shapes"):
        remote(grader, sandbox, swaps)([model])
    assert all(
        np.array_equal(a, b) for a, b in zip(before, model.get_weights(), strict=True)
    )


def test_weights_are_read_only_as_a_calls_arguments_and_only_as_numbers():
    from convbn_tools.wire import Channel, ModelWeights, PeerGone, _npy, _write_back

    channel = Channel(-1, -1)
    weights = ("weights", [_npy(np.zeros(3))])
    with pytest.raises(PeerGone, match="unknown kind"):
        channel.decode(weights)  # a value, not the arguments of a call
    back = channel.decode(("list", [weights]), copy_back=True)
    assert isinstance(back[0], ModelWeights)
    config = ("keras", "not even JSON", [])  # never built: no model_sizes here
    assert "cannot read" in repr(channel.decode(("list", [config]), copy_back=True)[0])
    model = bn_model()
    texts = [np.full(w.shape, "x") for w in model.get_weights()]
    with pytest.raises(ValueError, match="weights of type <U1"):
        _write_back([model], [ModelWeights(texts)])
    fewer = ModelWeights(model.get_weights()[:-1])
    with pytest.raises(ValueError, match="came back with 5 weights"):
        _write_back([model], [fewer])
    assert float(model.layers[-1].moving_variance.numpy()[0]) == 1.0


# --------------------------------------------------------------------------
# Results of convbn.experiments: records
# --------------------------------------------------------------------------
def figure1():
    from convbn import experiments

    return experiments.Figure1Result(
        steps=np.array([0, 100]),
        accuracy={"plain": np.array([0.1, 0.8]), "bn": np.array([0.1, 0.9])},
        percentiles={"plain": np.zeros((2, 3, 100)), "bn": np.ones((2, 3, 100))},
        loss={"plain": np.ones(100), "bn": np.ones(100)},
        unit=3,
        seconds={"plain": 1.5, "bn": 2.0},
        config={"seed": 1, "optimizer": "SGD", "steps": 100, "rate": None},
    )


def test_the_results_a_checker_accepts_cross_as_their_own_class(channels):
    from convbn import experiments
    from convbn.checks.ch09_claims import _claim_kinds
    from convbn_tools import records

    grader, sandbox = channels
    accepted = {f"convbn.experiments.{cls.__name__}" for cls in _claim_kinds()}
    assert accepted <= records.RECORDS
    for name in records.RECORDS:  # every allow-listed class holds data only
        records.annotations(getattr(experiments, name.rpartition(".")[2]))
    dropout = experiments.DropoutResult(
        train_accuracy={"dropout": 0.9, "no dropout": np.float64(0.95)},
        val_accuracy={"dropout": 0.8, "no dropout": 0.85},
        loss={"dropout": np.ones(5), "no dropout": np.ones(5)},
        rate=0.5,
        config={"seed": 0, "sizes": (1, 2.5, "x"), "runs": [[0.1, "trains"]]},
    )
    sent = [figure1(), dropout]

    def runs():
        return sent

    back = remote(grader, sandbox, runs)()  # through the pipe: the opcodes checked
    assert [type(r) for r in back] == [experiments.Figure1Result, dropout.__class__]
    assert back[0].config == sent[0].config and back[0].unit == 3
    assert np.array_equal(back[0].percentiles["bn"], np.ones((2, 3, 100)))
    assert back[1].config == dropout.config
    assert back[1].improvement == dropout.improvement


def test_records_refuse_another_class_a_wrong_field_and_anything_but_data(channels):
    from convbn_tools.wire import Refused

    grader, sandbox = channels
    good = sandbox.encode(figure1())
    _, name, fields = good

    def sent(name=name, fields=fields):
        return grader.decode(("record", name, fields))

    for other in ("convbn.experiments.Claim", "os.system", "builtins.eval", 3):
        with pytest.raises(Refused, match="only the results of convbn.experiments"):
            sent(name=other)

    def replaced(field, tree):
        return [(f, tree if f == field else t) for f, t in fields]

    with pytest.raises(Refused, match=r"steps must be an array of numbers, got str"):
        sent(fields=replaced("steps", ("v", "0, 100")))
    with pytest.raises(Refused, match=r"unit must be an integer, got float"):
        sent(fields=replaced("unit", ("v", 3.0)))
    with pytest.raises(Refused, match=r"accuracy must be a dict, got list"):
        sent(fields=replaced("accuracy", ("list", [])))
    with pytest.raises(Refused, match="holds a 'fn', not data"):
        sent(fields=replaced("config", ("dict", [(("v", "f"), ("fn", 0, "f"))])))
    with pytest.raises(Refused, match="holds a 'keras', not data"):
        sent(fields=replaced("loss", ("keras", "{}", [])))
    with pytest.raises(Refused, match="keys are not all strings"):
        sent(fields=replaced("seconds", ("dict", [(("v", 1), ("v", 1.0))])))
    with pytest.raises(Refused, match="has no field '__class__'"):
        sent(fields=[*fields, ("__class__", ("v", "x"))])
    with pytest.raises(Refused, match="given twice"):
        sent(fields=[*fields, fields[0]])
    with pytest.raises(Refused, match="lacks its field steps"):
        sent(fields=fields[1:])


def test_a_look_alike_class_stays_opaque(channels):
    """A class of the notebook's own, named and placed like a result, is not one."""
    grader, sandbox = channels
    fake = type(
        "Figure1Result", (), {"__module__": "convbn.experiments.figure1", "config": {}}
    )
    back = grader.decode(sandbox.encode(fake()))
    assert "cannot read" in repr(back) and type(back).__name__ == "Figure1Result"


def test_more_than_eight_records_in_one_value_are_refused(channels):
    """Chapter 9's checker pairs a claim's runs in every order (n! pairings): twelve
    forged results would fill the grader's memory before any deadline."""
    from convbn_tools.wire import Refused

    grader, sandbox = channels
    assert len(grader.decode(sandbox.encode([figure1()] * 8))) == 8
    with pytest.raises(Refused, match="more than 8 results of convbn.experiments"):
        grader.decode(sandbox.encode([figure1()] * 9))


# --------------------------------------------------------------------------
# What the unpickler builds, stand-ins, and the checkers' time in the grader
# --------------------------------------------------------------------------
DEEP_TUPLE = r"""
import os, struct, sys, threading
from convbn_tools.wire import Channel, PeerGone
read, write = os.pipe()
grader = Channel(read, -1)
deep = b")" + b"\x85" * 300_000  # EMPTY_TUPLE, then TUPLE1: nested 300,000 deep
body = (b"\x80\x05\x8c\x05value\x8c\x03set(\x8c\x01v" + deep + b"\x86l\x86\x86.")
frame = struct.pack("!Q", len(body)) + body
threading.Thread(target=os.write, args=(write, frame), daemon=True).start()
try:
    grader.decode(grader.receive()[1])  # a set of it: hashing it overflowed the stack
except PeerGone as error:
    print("refused:", error)
"""


def test_a_plain_value_is_never_a_container_the_unpickler_built():
    """``("v", x)`` holds a number, a string, bytes or None: a tuple the unpickler
    nests 300,000 deep (a few hundred kB) crashed the grader (and the batch) with a
    segmentation fault when a set or dict hashed it."""
    from convbn_tools.wire import Channel, PeerGone

    channel = Channel(-1, -1)
    for value in ((1,), [1], {"a": 1}):
        with pytest.raises(PeerGone, match="malformed plain value"):
            channel.decode(("v", value))
    assert channel.decode(("v", b"x")) == b"x" and channel.decode(("v", None)) is None
    done = subprocess.run(
        [sys.executable, "-c", DEEP_TUPLE],
        cwd=ROOT / "lib",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert "refused: a malformed plain value" in done.stdout


def test_stand_ins_share_one_class_per_type_name():
    """Two million ``("opaque", name)`` nodes (4 MB on the wire) made two million
    classes: 5 GB in the grader. One class per name now."""
    from convbn_tools.wire import Channel

    values = Channel(-1, -1).decode(("list", [("opaque", "Thing")] * 1000))
    assert len({type(v) for v in values}) == 1
    assert "<Thing object (the grader cannot read it)>" == repr(values[0])


def test_a_models_functions_come_from_kerass_modeling_modules_only(channels):
    """``safe_mode`` builds a model whose activation is ``keras.config.set_epsilon``:
    called by a checker in the grader, it set Keras's epsilon for every submission
    graded after it. Such a model is refused before anything is built."""
    import json

    import keras

    from convbn_tools.sandbox import _sizes_here
    from convbn_tools.wire import Refused, _npy

    grader, _ = channels
    grader.model_sizes = _sizes_here
    model = bn_model()
    config = keras.saving.serialize_keras_object(model)
    weights = [_npy(w) for w in model.get_weights()]
    built = grader.decode(("keras", json.dumps(config), weights))
    assert built.count_params() == model.count_params()
    dense = next(c for c in config["config"]["layers"] if c["class_name"] == "Dense")
    functions = (("keras.config", "set_epsilon"), ("keras.utils", "plot_model"))
    for module, name in functions:
        dense["config"]["activation"] = {
            "module": module,
            "class_name": "function",
            "config": name,
            "registered_name": None,
        }
        with pytest.raises(Refused, match=f"the function '{module}.{name}'"):
            grader.decode(("keras", json.dumps(config), weights))
    assert keras.config.epsilon() == 1e-7


def test_a_checkers_own_computation_ends_at_the_checks_deadline():
    """A check that computes in the grader (chapter 9 re-runs the experiment a
    result names, ``steps=10**9`` if the result says so) ends with Timeout at the
    deadline, like a wait for the sandbox; a check that ends in time is left alone."""
    import time
    from types import SimpleNamespace

    from convbn_tools import grading
    from convbn_tools.gradebook import Test
    from convbn_tools.wire import Timeout

    box = SimpleNamespace(channel=SimpleNamespace(deadline=None), value=lambda n: 3)
    session = SimpleNamespace(numpy_only=False, cell_errors=[])
    code = "def test_q(x):\n    import time\n    end = time.monotonic() + 20\n"
    code += "    while time.monotonic() < end:\n        x = x + 1\n"
    start = time.monotonic()
    with pytest.raises(Timeout):
        grading._run_test(Test("test_q", ["x"], code, False), session, box, 0.5)
    assert time.monotonic() - start < 0.5 + grading.WATCHDOG_GRACE + 5
    assert box.channel.deadline is None
    quick = "def test_q(x):\n    assert x == 3\n"
    test = Test("test_q", ["x"], quick, False)
    assert grading._run_test(test, session, box, 0.2) is None
    time.sleep(0.2 + grading.WATCHDOG_GRACE + 0.3)  # no Timeout arrives later


# --------------------------------------------------------------------------
# Chapter 9's reference solutions, graded in the sandbox
# --------------------------------------------------------------------------
@pytest.mark.slow
def test_chapter_9s_reference_solutions_get_full_marks_in_the_sandbox(
    tmp_path, sandbox
):
    """Algorithm 2 sets a model's moving statistics in place (q4) and the claim's
    runs are Figure1Results (q7): both need more than arrays to cross."""
    master = find_exercises(ROOT)[CH09]
    notebook = tmp_path / "reference.ipynb"
    gradebook.write_notebook(notebook, gradebook.master_code(master))
    out = tmp_path / "grades.csv"
    command = [sys.executable, "-m", "convbn.homework", "grade", CH09, str(notebook)]
    command += ["--csv", str(out), "--timeout", "300"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with open(out, newline="") as file:
        (row,) = csv.DictReader(file)
    questions = gradebook.read_questions(master)
    scores = {q.name: float(row[q.name]) for q in questions}
    assert scores == {q.name: q.points for q in questions}, done.stdout
    assert not row["error"], row["error"]
