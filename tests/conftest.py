"""Fixtures shared by every test folder (unit/, checks/, book/)."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    """The course's top folder (with chapters/, lib/, _config.yml)."""
    return ROOT


@pytest.fixture(autouse=True)
def close_figures():
    """Close every matplotlib figure a test opened, so that none leak into the next."""
    yield
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


@pytest.fixture(scope="session")
def sandbox():
    """The grader's isolation (bubblewrap). Tests that grade a batch need it: where
    it is missing they are skipped, saying why, unless ``CONVBN_REQUIRE_SANDBOX`` is
    set (``.ci/run`` sets it, and installs bubblewrap), which makes that a failure."""
    import os

    from convbn_tools import isolation

    found = isolation.detect()
    if not found.isolated:
        message = f"no sandbox for the grader here: {found.why}"
        if os.environ.get("CONVBN_REQUIRE_SANDBOX"):
            pytest.fail(message)
        pytest.skip(message + " (apt install bubblewrap)")
    return found
