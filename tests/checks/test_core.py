"""The checker harness: one search for mistakes, one call wrapper, one reader."""

import operator

import numpy as np
import pytest

from convbn.checks import _core
from convbn.checks._core import Mistake

# --- first_mistake and diagnose -------------------------------------------------------


def test_first_mistake_returns_the_first_match_in_order():
    mistakes = [
        Mistake(None, "cannot happen here"),
        Mistake(np.array([1.0, 3.0]), "first"),
        Mistake(np.array([1.0, 3.0]), "second"),
    ]
    got = np.array([1.0, 3.0])
    assert _core.first_mistake(got, np.array([1.0, 2.0]), mistakes) == "first"
    assert _core.first_mistake(got + 1, np.array([1.0, 2.0]), mistakes) is None


def test_first_mistake_never_names_a_right_answer():
    # The variant equals the answer within the tolerance, and so does got with the
    # variant, though got is not close enough to the answer: not that mistake.
    expected = np.array([1.0])
    variant = expected + 5e-7
    got = expected + 1.2e-6
    assert not _core.close(got, expected)
    assert _core.close(got, variant)
    assert _core.first_mistake(got, expected, [Mistake(variant, "no")]) is None


def test_first_mistake_compares_shapes_and_takes_a_comparison():
    mistakes = [Mistake(np.ones((2, 3)), "transposed")]
    assert _core.first_mistake(np.ones((3, 2)), np.zeros((3, 2)), mistakes) is None
    counts = [Mistake((3, 4), "swapped"), Mistake([(1,), (2, 3)], "ragged")]
    assert _core.first_mistake((3, 4), (4, 3), counts, same=operator.eq) == "swapped"
    got = [(1,), (2, 3)]
    assert _core.first_mistake(got, [(1,)], counts, same=operator.eq) == "ragged"


def test_diagnose_names_the_mistake_then_the_shape_then_the_place():
    expected = np.array([[1.0, 2.0], [3.0, 4.0]])
    _core.diagnose(expected + 1e-12, expected)  # right: returns
    with pytest.raises(AssertionError, match=r"^transposed \(label\)$"):
        _core.diagnose(
            expected.T, expected, [Mistake(expected.T, "transposed")], "(label)"
        )
    with pytest.raises(AssertionError, match=r"^mine returned shape \(4,\), expected"):
        _core.diagnose(expected.ravel(), expected, what="mine")
    with pytest.raises(
        AssertionError, match=r"wrong value at \(1, 0\): expected 3, got 5"
    ):
        _core.diagnose(expected + [[0, 0], [2, 0]], expected)


def test_wrong_at_says_where_and_both_values():
    got, expected = np.array([1.0, 2.0, 9.0]), np.array([1.0, 2.0, 3.0])
    assert _core.wrong_at(got, expected) == "wrong value at (2,): expected 3, got 9"
    assert _core.wrong_at(2.5, 2.0) == "wrong value: expected 2, got 2.5"
    message = _core.wrong_at(got, expected, noun="rate", at=lambda i: f"at step {i[0]}")
    assert message == "wrong rate at step 2: expected 3, got 9"


# --- call and unchanged ---------------------------------------------------------------


def test_call_turns_a_crash_into_an_assertion_naming_the_inputs():
    def crash(x, w, dt):
        raise ValueError("boom")

    x = np.zeros((3, 4))
    with pytest.raises(AssertionError) as info:
        _core.call(crash, x, [1, 2], 0.5, what="yours", inputs=("x", "w"))
    message = str(info.value)
    assert message.startswith("yours raised ValueError: boom (called with x=array of")
    assert "shape (3, 4), w=[1, 2], 0.5)" in message
    assert isinstance(info.value.__cause__, ValueError)


def test_call_rejects_what_is_not_a_function():
    with pytest.raises(AssertionError, match="expected a function for yours, got int"):
        _core.call(42, what="yours")


def test_call_guards_the_named_arrays_and_keeps_the_originals():
    def in_place(x, w):
        w *= 2
        return x

    x, w = np.ones(3), np.arange(3.0)
    with pytest.raises(_core.InputModified, match="^yours modified its input w; work"):
        _core.call(in_place, x, w, what="yours", inputs=("x", "w"))
    assert np.array_equal(w, np.arange(3.0))  # the checker's own array is untouched
    with pytest.raises(AssertionError, match="^yours changed w$"):
        _core.call(
            in_place,
            x,
            w,
            what="yours",
            inputs=("x", "w"),
            modified="{what} changed {name}",
        )
    # Unnamed arguments are passed as they are, and numbers stay numbers.
    seen = []
    _core.call(lambda a, b: seen.extend([a, b]), 1.5, w, what="yours", inputs=("a",))
    assert seen[0] == 1.5 and type(seen[0]) is float and seen[1] is w


def test_unchanged_compares_arrays_only():
    _core.unchanged([np.ones(2), 3.0], [np.ones(2), 4.0], ["x", "k"], "yours")
    with pytest.raises(_core.InputModified, match="yours modified its input x"):
        _core.unchanged([np.ones(2)], [np.zeros(2)], ["x"], "yours")


# --- readers --------------------------------------------------------------------------


def test_as_array_reads_numbers_and_checks_the_shape():
    assert _core.as_array([[1, 2]], (1, 2)).dtype == np.float64
    assert (
        _core.as_array(np.array([7.0]), ()).shape == ()
    )  # size 1 where a scalar is due
    with pytest.raises(
        AssertionError, match=r"mine returned shape \(2,\), expected \(3,\)"
    ):
        _core.as_array([1, 2], (3,), "mine")
    with pytest.raises(AssertionError, match="mine must return numbers, got str"):
        _core.as_array("abc", what="mine")
    assert _core.as_array(None).shape == ()  # without single, None is no number


def test_as_array_single_names_none_and_tuples():
    with pytest.raises(AssertionError, match="mine returned None: did you forget"):
        _core.as_array(None, (2,), "mine", single=True)
    with pytest.raises(
        AssertionError, match=r"tuple of 2 items; return one array of shape \(2,\)"
    ):
        _core.as_array((np.ones(2), 1), (2,), "mine", single=True)
    with pytest.raises(AssertionError, match="return one number$"):
        _core.as_array((1.0, 2.0), (), "mine", single=True)


def test_as_int_takes_whole_numbers_only():
    assert _core.as_int(3.0, "mine") == 3
    assert _core.as_int(np.array([4]), "mine") == 4
    assert type(_core.as_int(np.int64(5), "mine")) is int
    with pytest.raises(
        AssertionError, match="mine must return one integer for n=2, got bool"
    ):
        _core.as_int(True, "mine", " for n=2")
    with pytest.raises(AssertionError, match="must return one number, got list"):
        _core.as_int([3], "mine", noun="number")
    with pytest.raises(AssertionError, match=r"mine returned 2.5: round it"):
        _core.as_int(2.5, "mine", hint="round it")


def test_as_numbers_reads_a_tuple_of_numbers():
    assert _core.as_numbers([6, 3.0, 1.5], ("a", "b", "c"), "mine") == (6, 3, 1.5)
    assert type(_core.as_numbers(np.array([2.0, 1.0]), ("a", "b"), "mine")[0]) is int
    wanted = r"mine must return two numbers \(a, b\), got"
    for value in ("12", None, 7, ("x", 1)):
        with pytest.raises(AssertionError, match=wanted):
            _core.as_numbers(value, ("a", "b"), "mine")
    with pytest.raises(AssertionError, match=wanted + " 3: "):
        _core.as_numbers((1, 2, 3), ("a", "b"), "mine")
    with pytest.raises(
        AssertionError, match=r"two whole numbers \(a, b\), got \(1.5, 2\)"
    ):
        _core.as_numbers((1.5, 2), ("a", "b"), "mine", whole=True)


def test_as_float_reads_one_number():
    assert _core.as_float(3, "x") == 3.0 and type(_core.as_float(3, "x")) is float
    assert _core.as_float(np.array([2.5]), "x") == 2.5
    assert _core.as_float(np.int64(4), "x") == 4.0
    for value in (True, "3", [1.0], None, ...):
        with pytest.raises(AssertionError, match="lags\\['box'\\] must be one number"):
            _core.as_float(value, "lags['box']")


# --- predict, then check ------------------------------------------------------------


def test_as_predictions_wants_every_key_and_no_blank():
    names = ("a", "b")
    assert _core.as_predictions({"b": 2, "a": 1}, names) == {"a": 1, "b": 2}
    assert list(_core.as_predictions({"b": 2, "a": 1}, names)) == ["a", "b"]
    with pytest.raises(AssertionError, match="p must be a dict with the keys 'a', 'b'"):
        _core.as_predictions([1, 2], names, "p")
    with pytest.raises(AssertionError, match="p has no entry for 'b'"):
        _core.as_predictions({"a": 1}, names, "p")
    with pytest.raises(AssertionError, match="unknown keys 'c'; the keys are 'a', 'b'"):
        _core.as_predictions({"a": 1, "b": 2, "c": 3}, names, "p")
    with pytest.raises(AssertionError, match=r"predict p\['a'\], p\['b'\] first"):
        _core.as_predictions({"a": ..., "b": ...}, names, "p")


def test_wrong_predictions_explains_each_and_ends_with_the_rule():
    _core.wrong_predictions([], 3, "rule")  # nothing wrong: returns
    with pytest.raises(AssertionError) as one:
        _core.wrong_predictions([("p['a']", "why")], 3)
    assert str(one.value) == "1 of your 3 predictions is wrong:\n- p['a']: why"
    with pytest.raises(AssertionError) as two:
        _core.wrong_predictions([("a", "x"), ("b", "y")], 2, "The rule.")
    assert str(two.value).splitlines() == [
        "2 of your 2 predictions are wrong:",
        "- a: x",
        "- b: y",
        "The rule.",
    ]
