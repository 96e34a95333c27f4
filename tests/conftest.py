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
    it is missing they are skipped, saying why, or fail under ``CI=1`` (``.ci/run``
    sets it, and installs bubblewrap): ``environments.require``."""
    from environments import require  # tests/book/, where every user of this lives

    from convbn_tools import isolation

    found = isolation.detect()
    require(
        found.isolated,
        f"a sandbox for the grader ({found.why}; Debian: apt-get install bubblewrap)",
    )
    return found
