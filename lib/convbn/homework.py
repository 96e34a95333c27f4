"""``python -m convbn.homework``: student versions, autograders and grading.

A shim that keeps the documented command name: the implementation lives in
:mod:`convbn_tools.homework`, the instructor's tooling outside the package students
import (see its docstring for the commands). This is the only ``convbn`` module
that imports ``convbn_tools``, and ``import convbn`` does not import it.
"""

import sys

from convbn_tools.homework import assign, find_exercises, grade, main

__all__ = ["assign", "find_exercises", "grade", "main"]

if __name__ == "__main__":
    sys.exit(main())
