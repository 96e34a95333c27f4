"""The ``>>>`` examples in the core numeric modules' docstrings are true.

They are the first thing a reader of the API page (chapters/appendix/api.md) or of
``help(convolution.conv2d)`` sees, so they run as doctests here.
"""

import doctest
import importlib

import numpy as np
import pytest

MODULES = [
    "convbn.convolution",
    "convbn.pooling",
    "convbn.batchnorm",
    "convbn.losses",
    "convbn.activations",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name):
    module = importlib.import_module(name)
    # numpy's default print options, whatever a test before this one set.
    with np.printoptions(precision=8, suppress=False, linewidth=75, legacy=False):
        results = doctest.testmod(
            module, optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
        )
    assert results.attempted > 0, f"{name} has no >>> examples"
    assert results.failed == 0, f"{results.failed} examples in {name} fail (above)"
