"""environments.require: a missing prerequisite skips a test, and fails it in CI."""

import pytest
from environments import in_ci, require


@pytest.mark.parametrize(
    ("value", "ci"),
    [("1", True), ("true", True), ("yes", True), ("", False), ("0", False)],
)
def test_ci_is_read_from_the_ci_variable(monkeypatch, value, ci):
    monkeypatch.setenv("CI", value)
    assert in_ci() is ci


def test_without_ci_a_missing_prerequisite_skips_and_names_it(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert require("/usr/bin/git", "git (apt-get install git)") == "/usr/bin/git"
    with pytest.raises(pytest.skip.Exception, match=r"git \(apt-get install git\)"):
        require(None, "git (apt-get install git)")


def test_in_ci_a_missing_prerequisite_fails_and_names_it(monkeypatch):
    monkeypatch.setenv("CI", "1")
    with pytest.raises(pytest.fail.Exception, match="CI=1 .* Chromium is missing"):
        require(False, "Chromium")
