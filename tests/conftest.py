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
