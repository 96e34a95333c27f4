"""Grading a class (``python -m convbn.homework grade``): sandboxes, cheats, limits.

One batch of adversarial submissions for chapters 3 and 6 is graded once, in one
call of the command line (with a short timeout), and every test below reads its
CSV, its feedback files or its printed report. The submissions are built from the
master notebooks: the reference solutions are the honest work, the student
versions' blanks (``...``) are the work not done.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from convbn.checks import NUMPY_ONLY
from convbn_tools import gradebook, grading, homework, isolation
from convbn_tools.homework import find_exercises

TIMEOUT = 15  # seconds per notebook and per check, in these batches
INIT = 'import otter\ngrader = otter.Notebook("exercises.ipynb")'


def code_cells(chapter: str) -> list[str]:
    """The master notebook's code cells, without its test cells."""
    return gradebook.master_code(find_exercises(ROOT)[chapter])


def defining(chapter: str, name: str) -> list[str]:
    """The master's cells that define ``name``, in order (prompt, then solution)."""
    pattern = re.compile(rf"^(def {name}\(|{name} = )", re.M)
    return [c for c in code_cells(chapter) if pattern.search(c)]


def solution(chapter: str, name: str) -> str:
    """The reference solution of ``name``: honest, correct work."""
    return defining(chapter, name)[-1]


def blank(chapter: str, name: str) -> str:
    """The student version of ``name``: the prompt, or the solution blanked out."""
    cells = defining(chapter, name)
    if len(cells) > 1:  # a debug exercise: the prompt is the bug, unfixed
        return cells[0]
    lines, inside = [], False
    for line in cells[0].splitlines():
        stripped = line.strip()
        if stripped == "# BEGIN SOLUTION":
            inside = True
            lines.append(line.replace("# BEGIN SOLUTION", "..."))
        elif stripped == "# END SOLUTION":
            inside = False
        elif line.endswith("# SOLUTION"):
            lines.append(line.split(" = ")[0] + " = ...")
        elif not inside:
            lines.append(line)
    return "\n".join(lines)


CH03 = "03_cross_correlation"
CH06 = "06_pooling"

PATCH_CHECKS = """
import convbn.checks
for module in [convbn.checks, *vars(convbn.checks).values()]:
    for name in dir(module):
        if name.startswith("check_"):
            setattr(module, name, lambda *a, **k: True)
"""
REPLACE_MODULE = """
import sys, types
fake = types.ModuleType("convbn.checks")
fake.__getattr__ = lambda name: (lambda *a, **k: True)
sys.modules["convbn.checks"] = fake
"""
PATCH_NUMPY = """
np.allclose = lambda *a, **k: True
np.array_equal = lambda *a, **k: True
np.isclose = lambda a, b, *r, **k: np.ones(np.broadcast(a, b).shape, bool)
np.testing.assert_allclose = lambda *a, **k: None
np.testing.assert_array_equal = lambda *a, **k: None
np.testing.assert_array_almost_equal = lambda *a, **k: None
"""
REDEFINE_GRADER = """
import sys, types
class Grader:
    def check(self, *args, **kwargs):
        return True
    def check_all(self, *args, **kwargs):
        return True
grader = Grader()
otter = types.ModuleType("otter")
otter.Notebook = lambda *a, **k: Grader()
sys.modules["otter"] = otter
"""
RAISE_SUCCESS = """
def correlate2d(image, kernel):
    raise SystemExit(0)  # the value a harness reads as "all passed"
"""
STACK_PEEK = """
import inspect
def max_pool2d(x, size, stride):
    for frame in inspect.stack():  # look for the checker's expected answer
        for name in ("expected", "reference", "want"):
            if name in frame.frame.f_locals:
                return frame.frame.f_locals[name]
    return np.zeros((1, 1))
"""
PATCH_CODE = """
import convbn.checks.ch06 as ch06
ch06.check_max_pool2d.__code__ = (lambda fn, seed=0: True).__code__
ch06.check_conv_layer.__code__ = (lambda fn, seed=0: True).__code__
"""


def ch03_batch(folder: Path) -> dict[str, Path]:
    """Chapter 3's submissions, by name (see ``EXPECTED`` for their scores)."""
    s = {n: solution(CH03, n) for n in ("correlate2d", "responses", "correlate1d_full")}
    b = {n: blank(CH03, n) for n in s}
    head = ["import numpy as np", INIT]
    # the reveal and "putting it together" cells, which use convbn and the answers
    reveal = [c for c in code_cells(CH03) if "convbn.convolution." in c]
    q3_only = [*head, b["correlate2d"], b["responses"], s["correlate1d_full"]]
    wrong_responses = (
        s["responses"].replace("correlate", "swap").replace("convolve", "correlate")
    )
    submissions = {
        "correct": [*head, *s.values(), 'grader.check("q1_debug_correlate2d")']
        + reveal,
        "empty": [*head, *b.values(), *reveal],
        "wrong": [
            *head,
            b["correlate2d"],
            wrong_responses.replace("swap", "convolve"),
            s["correlate1d_full"].replace("@ w", "@ w[::-1]"),  # a flipped kernel
        ],
        "patch_checks": [*q3_only, PATCH_CHECKS],
        "replace_module": [REPLACE_MODULE, *q3_only],
        "patch_numpy": [*q3_only, PATCH_NUMPY],
        "redefine_grader": [*q3_only, REDEFINE_GRADER, "grader.check_all()"],
        "raise_success": [*q3_only, RAISE_SUCCESS, "raise SystemExit(0)"],
        "numpy_only": [
            *head,
            "from convbn.convolution import correlate2d",
            s["responses"],
            s["correlate1d_full"],
        ],
        "hang": [
            *head,
            s["correlate2d"],
            "import time\ntime.sleep(100000)",
            s["responses"],
            s["correlate1d_full"],
        ],
        "exit": [*head, s["correlate2d"], "import os\nos._exit(3)", *s.values()],
        "memory": [
            *head,
            s["correlate2d"],
            "hog = []\nwhile True:\n    hog.append(np.ones(10**7))",
            s["responses"],
            s["correlate1d_full"],
        ],
        "forge": [  # writes a message of its own on the wire to the grader
            *head,
            s["correlate2d"],
            "import os, sys\nos.write(int(sys.argv[2]), bytes(7) + b'\\x05junk!')",
            *s.values(),
        ],
        "network": [
            *head,
            "import urllib.request\n"
            'urllib.request.urlopen("http://example.com", timeout=5).read()',
            'import socket\nsocket.create_connection(("93.184.215.14", 80), timeout=5)',
            *s.values(),
        ],
    }
    return {
        name: gradebook.write_notebook(folder / f"{name}.ipynb", cells)
        for name, cells in submissions.items()
    }


def ch06_batch(folder: Path) -> dict[str, Path]:
    """Chapter 6's submissions, by name."""
    names = ("max_pool2d", "block_max_pool", "average_pool1d_same", "conv_layer")
    s = {n: solution(CH06, n) for n in names}
    b = {n: blank(CH06, n) for n in names}
    head = ["import numpy as np", INIT]
    submissions = {
        "correct": [*head, *s.values(), 'grader.check("q1_max_pool")'],
        "empty": [*head, *b.values()],
        "patch_code": [*head, *b.values(), PATCH_CODE],
        "numpy_only": [
            *head,
            "from convbn import pooling\n"
            "def max_pool2d(x, size, stride):\n"
            '    return pooling.pool2d(x, size, stride, "max")',
            *list(s.values())[1:],
        ],
        "function_hang": [
            *head,
            s["max_pool2d"],
            "import time\ndef block_max_pool(x, size):\n    time.sleep(100000)",
            s["average_pool1d_same"],
            s["conv_layer"],
        ],
        "crash": [
            *head,
            s["max_pool2d"],
            "import ctypes\nctypes.string_at(0)",  # a segmentation fault
            *list(s.values())[1:],
        ],
        "stack_peek": [*head, STACK_PEEK, *list(b.values())[1:]],
    }
    return {
        name: gradebook.write_notebook(folder / f"{name}.ipynb", cells)
        for name, cells in submissions.items()
    }


#: name: (scores per question, what the error column must contain)
EXPECTED_CH03 = {
    "correct": ((1, 1, 1), ""),
    "empty": ((0, 0, 0), ""),
    "wrong": ((0, 0, 0), ""),
    "patch_checks": ((0, 0, 1), ""),
    "replace_module": ((0, 0, 1), ""),
    "patch_numpy": ((0, 0, 1), ""),
    "redefine_grader": ((0, 0, 1), ""),
    "raise_success": ((0, 0, 1), ""),
    "numpy_only": ((0, 1, 1), ""),
    "hang": ((1, 0, 0), f"timed out after {TIMEOUT} s in cell 4 (import time)"),
    "exit": ((1, 0, 0), "process ended in cell 4 (import os): it exited with status 3"),
    "memory": (
        (1, 0, 0),
        "ended in cell 4 (hog = []): it exceeded the memory limit (1024 MB)",
    ),
    "network": ((1, 1, 1), ""),
    "forge": ((1, 0, 0), "ended in cell 4 (import os, sys): it broke the wire"),
}
EXPECTED_CH06 = {
    "correct": ((1, 1, 1, 1), ""),
    "empty": ((0, 0, 0, 0), ""),
    "patch_code": ((0, 0, 0, 0), ""),
    "numpy_only": ((0, 1, 1, 1), ""),
    "function_hang": (
        (1, 0, 1, 1),
        f"timed out after {TIMEOUT} s while checking q2_debug_block_pool",
    ),
    "crash": (
        (1, 0, 0, 0),
        "process ended in cell 4 (import ctypes): it was killed by SIGSEGV",
    ),
    "stack_peek": ((0, 0, 0, 0), ""),
}


def grade_command(chapter, folder, out) -> subprocess.Popen:
    """Start grading ``folder`` in one call of the command line."""
    command = [sys.executable, "-m", "convbn.homework", "grade", chapter, str(folder)]
    command += ["--csv", str(out / "grades.csv"), "--feedback", str(out / "feedback")]
    command += ["--timeout", str(TIMEOUT), "--memory", "1024", "-j", "2"]
    return subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory, sandbox):
    """Both chapters' batches, graded at the same time (one command each):
    {chapter: (seconds, rows, out folder)}."""
    started = {}
    for chapter, make in ((CH03, ch03_batch), (CH06, ch06_batch)):
        folder = tmp_path_factory.mktemp(f"submissions-{chapter}")
        make(folder)
        out = tmp_path_factory.mktemp(f"graded-{chapter}")
        started[chapter] = (time.monotonic(), grade_command(chapter, folder, out), out)
    results = {}
    for chapter, (start, process, out) in started.items():
        _, stderr = process.communicate(timeout=600)
        seconds = time.monotonic() - start
        assert process.returncode == 0, stderr[-3000:]
        with open(out / "grades.csv", newline="") as file:
            rows = {r["file"]: r for r in csv.DictReader(file)}
        results[chapter] = (seconds, rows, out)
    return results


@pytest.mark.slow
@pytest.mark.parametrize(
    "chapter, expected", [(CH03, EXPECTED_CH03), (CH06, EXPECTED_CH06)]
)
def test_each_submission_earns_what_its_honest_work_earns(graded, chapter, expected):
    _, rows, _ = graded[chapter]
    questions = [
        q.name for q in gradebook.read_questions(find_exercises(ROOT)[chapter])
    ]
    assert set(rows) == {f"{name}.ipynb" for name in expected}
    for name, (scores, error) in expected.items():
        row = rows[f"{name}.ipynb"]
        got = tuple(float(row[q]) for q in questions)
        assert got == scores, f"{chapter} {name}: {row}"
        assert float(row["total"]) == sum(scores), name
        if error:
            assert error in row["error"], f"{chapter} {name}: {row['error']!r}"
        else:
            assert row["error"] == "", f"{chapter} {name}: {row['error']!r}"


@pytest.mark.slow
def test_each_batch_finishes_within_the_time_of_its_hung_submissions(graded):
    for chapter, expected in ((CH03, EXPECTED_CH03), (CH06, EXPECTED_CH06)):
        hung = sum("timed out" in error for _, error in expected.values())
        assert hung == 1
        seconds = graded[chapter][0]
        assert seconds < TIMEOUT * hung + 60, (chapter, seconds)


@pytest.mark.slow
def test_the_csv_has_a_column_per_question_then_total_and_error(graded):
    _, _, out = graded[CH06]
    header = (out / "grades.csv").read_text().splitlines()[0]
    assert header == (
        "file,q1_max_pool,q2_debug_block_pool,q3_same_average,q4_layer,total,error,"
        "isolation"
    )
    rows = graded[CH06][1].values()
    assert {r["isolation"] for r in rows} == {isolation.detect().summary()}
    assert all(r["isolation"].startswith("bubblewrap") for r in rows)


@pytest.mark.slow
def test_feedback_names_each_checks_message_and_why_the_notebook_stopped(graded):
    _, _, out = graded[CH03]
    feedback = out / "feedback"
    assert sorted(p.name for p in feedback.iterdir()) == sorted(
        f"{name}.txt" for name in EXPECTED_CH03
    )
    wrong = (feedback / "wrong.txt").read_text()
    assert "q1_debug_correlate2d: 0 / 1" in wrong
    assert "convolution" in wrong  # the checker names the flipped kernel
    numpy_only = (feedback / "numpy_only.txt").read_text()
    assert "in the numpy-only run, cell 3 raised ModuleNotFoundError" in numpy_only
    assert "this exercise says numpy only" in numpy_only
    hang = (feedback / "hang.txt").read_text()
    assert f"timed out after {TIMEOUT} s in cell 4" in hang
    assert "correlate1d_full is not defined" in hang
    network = (feedback / "network.txt").read_text()
    assert network.count("the network cannot be used while grading") == 2
    correct = (feedback / "correct.txt").read_text()
    assert "Total: 3 / 3" in correct and "passed" in correct


@pytest.mark.slow
def test_the_cheats_are_told_nothing_passed(graded):
    _, _, out = graded[CH06]
    patched = (out / "feedback" / "patch_code.txt").read_text()
    assert "q1_max_pool: 0 / 1" in patched and "Total: 0 / 4" in patched
    hang = (out / "feedback" / "function_hang.txt").read_text()
    assert "timed out after" in hang and "q3_same_average: 1 / 1" in hang


@pytest.mark.slow
def test_one_submission_prints_its_scores_as_before(tmp_path, capsys, sandbox):
    notebook = ch03_batch(tmp_path)["wrong"]
    assert homework.main(["grade", CH03, str(notebook), "--root", str(ROOT)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "q1_debug_correlate2d: 0 / 1"
    assert lines[1].startswith("    the kernel is flipped")  # the checker's message
    assert "total: 0 / 3" in lines


@pytest.mark.slow
def test_without_isolation_grading_is_refused_unless_unsafe(tmp_path, capsys):
    """Where bubblewrap cannot start, the command refuses; with --unsafe it grades
    (the audit hook still refuses the network) and the CSV and report say so."""
    made = ch03_batch(tmp_path)
    questions = gradebook.read_questions(find_exercises(ROOT)[CH03])
    none = isolation.Isolation(None, "", None, "bubblewrap (bwrap) is not installed")
    pairs = [(name, made[name]) for name in ("network", "patch_checks")]
    with pytest.raises(grading.NotIsolated, match="pass --unsafe"):
        grading.grade_batch(questions, pairs, box=none, progress=False)
    network, cheat = grading.grade_batch(
        questions,
        pairs,
        timeout=TIMEOUT,
        memory_mb=1024,
        jobs=2,
        progress=False,
        unsafe=True,
        box=none,
    )
    refused = [e for e in network.cell_errors if "cannot be used while grading" in e]
    assert network.total == 3 and len(refused) == 2, network.cell_errors
    assert cheat.total == 1 and cheat.scores["q3_correlate1d_full"] == 1
    gradebook.write_csv([network, cheat], tmp_path / "grades.csv")
    with open(tmp_path / "grades.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert all(
        r["isolation"].startswith("UNSAFE: graded without isolation") for r in rows
    )
    assert "warning: UNSAFE" in gradebook.report(network)


def test_bad_arguments_are_named(tmp_path, capsys):
    text = tmp_path / "answers.txt"
    text.write_text("no notebook")
    empty = tmp_path / "empty"
    empty.mkdir()
    cases = [
        ([CH03, str(tmp_path / "gone.ipynb")], "PATH .*gone.ipynb does not exist"),
        ([CH03, str(text)], "PATH must be a notebook .*answers.txt"),
        ([CH03, str(empty)], "PATH .*empty is a folder with no .ipynb notebooks"),
        (["99_nothing", str(text)], "chapter must be one of 01_continuous"),
        ([CH03], "usage: grade CHAPTER PATH"),
        ([CH03, str(text), "--timeout", "0"], "--timeout must be positive"),
        ([CH03, str(text), "--memory", "10"], "--memory must be at least 256"),
        ([CH03, str(text), "-j", "0"], "-j must be at least 1"),
    ]
    for args, message in cases:
        with pytest.raises(SystemExit) as exited:
            homework.main(["grade", *args, "--root", str(ROOT)])
        assert exited.value.code == 2, args
        assert re.search(message, capsys.readouterr().err), args


def test_an_unreadable_notebook_is_a_graded_zero_with_its_reason(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    questions = gradebook.read_questions(find_exercises(ROOT)[CH03])
    result = grading.grade_submission(questions, broken, timeout=30)
    assert result.total == 0 and "not a readable notebook" in result.error


def test_grading_still_offers_what_moved_to_gradebook():
    """Scripts written against ``convbn_tools.grading`` keep working."""
    moved = ["Question", "Graded", "read_questions", "master_code", "write_notebook"]
    for name in [*moved, "write_csv", "write_feedback", "report"]:
        assert name in grading.__all__ and getattr(grading, name) is getattr(
            gradebook, name
        ), name


def test_numpy_only_marks_every_function_exercise_of_a_numpy_only_chapter():
    import inspect

    import convbn.checks

    for chapter, master in find_exercises(ROOT).items():
        cells = json.loads(master.read_text())["cells"]
        intro = "".join(cells[1]["source"]).replace("\n", " ")
        says = "Use `numpy` only" in intro or "need only numpy" in intro
        for question in gradebook.read_questions(master):
            for test in question.tests:
                checkers = set(re.findall(r"check_\w+", test.code))
                for name in checkers:
                    first = next(
                        iter(inspect.signature(getattr(convbn.checks, name)).parameters)
                    )
                    takes_function = first == "fn"
                    if name in NUMPY_ONLY:
                        assert takes_function, name  # predictions are values
                        assert test.numpy_only, name
                    elif says and takes_function and "keras" not in intro.lower():
                        pytest.fail(f"{chapter} {question.name}: {name} not marked")
    assert {"check_correlate2d", "check_max_pool2d"} <= NUMPY_ONLY


# --------------------------------------------------------------------------
# The wire between the grader and a sandbox (in one process, over two pipes)
# --------------------------------------------------------------------------
@pytest.fixture
def wire():
    """Two connected Channels: (grader, sandbox), and a thread serving the latter."""
    import os
    import threading

    from convbn_tools.wire import Channel, PeerGone

    a_read, b_write = os.pipe()
    b_read, a_write = os.pipe()
    grader, sandbox = Channel(a_read, a_write), Channel(b_read, b_write)

    def serve():
        try:
            while True:
                message = sandbox.receive()
                if message[0] == "call":
                    sandbox.serve_call(message)
        except PeerGone:
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield grader, sandbox
    os.close(a_write)  # the sandbox's end reads the end of the stream
    thread.join(timeout=10)
    for fd in (a_read, b_read, b_write):
        os.close(fd)


def test_a_message_that_carries_code_is_refused():
    import os
    import pickle

    from convbn_tools.wire import Channel, PeerGone

    read, write = os.pipe()
    payload = pickle.dumps(os.system)  # a global: loading it would reach code
    os.write(write, len(payload).to_bytes(8, "big") + payload)
    try:
        with pytest.raises(PeerGone, match="a message with a STACK_GLOBAL opcode"):
            Channel(read, write).receive()
    finally:
        os.close(read)
        os.close(write)


def test_values_cross_as_data(wire):
    import numpy as np

    grader, sandbox = wire
    rng = np.random.default_rng(3)
    value = {
        "a": np.arange(6.0).reshape(2, 3),
        "n": np.int64(7),
        "nested": [1, 2.5, (None, True, ...), {"s", "t"}, 1 + 2j, b"x"],
        3: "three",
    }
    back = sandbox.decode(grader.encode(value))
    assert back.keys() == value.keys()
    assert np.array_equal(back["a"], value["a"]) and back["n"] == 7
    assert back["nested"] == value["nested"] and back[3] == "three"
    copy = sandbox.decode(grader.encode(rng))
    assert copy.random() == rng.random()
    opaque = sandbox.decode(sandbox.encode(object()))
    assert "cannot read" in repr(opaque)


def test_remote_calls_serve_callbacks_copy_back_inputs_and_name_errors(wire):
    import numpy as np

    grader, sandbox = wire

    def student(f, x):
        x[0] = -1.0  # modifies its input: the checker must see it
        return f(x) * 2

    def exits(*args):
        raise SystemExit(0)  # "success" on the student's side: an error here

    sandbox.exported = [student, exits]
    remote, failing = (
        grader.decode(("fn", 0, "student")),
        grader.decode(("fn", 1, "exits")),
    )
    x = np.ones(3)
    got = remote(lambda v: v + 1, x)  # the lambda runs on the grader's side
    assert np.array_equal(got, [0.0, 4.0, 4.0]) and x[0] == -1.0
    with pytest.raises(Exception, match="0") as raised:
        failing()
    assert type(raised.value).__name__ == "SystemExit"
    assert not isinstance(raised.value, SystemExit)  # an Exception, not BaseException


def test_decoding_has_a_budget_of_parts_bytes_and_time(wire):
    import time

    from convbn_tools.wire import Budget, PeerGone, Timeout

    grader, _ = wire
    tree = ("v", 1)
    for _ in range(60):  # shared references: 2^60 parts in a few hundred bytes
        tree = ("list", [tree, tree])
    with pytest.raises(PeerGone, match="more than 2000000 parts"):
        grader.decode(tree)
    big = grader.encode(np.zeros(2**20))  # 8 MB, shared 40 times
    with pytest.raises(PeerGone, match="more than 256 MB"):
        grader.decode(("list", [big] * 40))
    deep = ("v", 1)
    for _ in range(100):
        deep = ("list", [deep])
    with pytest.raises(PeerGone, match="malformed"):
        grader.decode(deep)
    past = Budget(deadline=time.monotonic() - 1)
    wide = ("list", [("v", 0)] * 10_000)
    with pytest.raises(Timeout):
        grader.decode(wide, budget=past)


def test_what_the_other_side_says_is_cut_on_this_side(wire):
    grader, sandbox = wire

    def shouts():
        raise ValueError("x" * 100_000)

    sandbox.exported = [shouts]
    sandbox_text = __import__("convbn_tools.wire", fromlist=["_text"])
    original = sandbox_text._text
    sandbox_text._text = str  # the sandbox lifts its own cap
    try:
        with pytest.raises(ValueError) as raised:
            grader.decode(("fn", 0, "shouts"))()
    finally:
        sandbox_text._text = original
    assert len(str(raised.value)) <= 2000
    opaque = grader.decode(("opaque", "A" * 10_000))
    assert len(type(opaque).__name__) <= 100


def test_the_gradebook_defuses_formulas_and_strips_control_characters(tmp_path):
    results = []
    for label in (
        "=1+1.ipynb",
        "élève.ipynb",
        "èlève.ipynb",
        "A.ipynb",
        "a.ipynb",
        "dir1/exercises.ipynb",
        "dir1_exercises.ipynb",
        "\x1b[31mred.ipynb",
    ):
        graded = gradebook.Graded(label, tmp_path / "x.ipynb")
        graded.points["q1"], graded.scores["q1"] = 1.0, 0.0
        graded.messages["q1"] = "bad\x1b]0;title\x07 answer\u202e"
        graded.errors.append("@SUM(A1)\r\nmore")
        results.append(graded)
    gradebook.write_csv(results, tmp_path / "grades.csv")
    text = (tmp_path / "grades.csv").read_text(encoding="utf-8")
    assert "\x1b" not in text and "\u202e" not in text
    with open(tmp_path / "grades.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert rows[0]["file"] == "'=1+1.ipynb" and rows[0]["error"] == "'@SUM(A1) more"
    assert rows[-1]["file"] == "red.ipynb"
    names = [p.name for p in gradebook.write_feedback(results, tmp_path / "fb")]
    assert len({n.casefold() for n in names}) == len(results)
    assert names[1:3] == ["élève.txt", "èlève.txt"]
    assert names[5:7] == ["dir1__exercises.txt", "dir1_exercises.txt"]
    feedback = (tmp_path / "fb" / names[0]).read_text(encoding="utf-8")
    assert "\x1b" not in feedback and "bad answer" in feedback.replace("  ", " ")


def test_the_similarity_report_finds_copies_of_each_other_and_of_the_solutions(
    tmp_path,
):
    from convbn_tools import similarity

    master = find_exercises(ROOT)[CH03]
    solutions = code_cells(CH03)
    own = [
        "def correlate2d(image, kernel):\n"
        "    rows = len(image) - len(kernel) + 1\n"
        "    cols = len(image[0]) - len(kernel[0]) + 1\n"
        "    result = np.empty((rows, cols))\n"
        "    for r in range(rows):\n"
        "        for c in range(cols):\n"
        "            window = np.asarray(image)[r:r + len(kernel),\n"
        "                                       c:c + len(kernel[0])]\n"
        "            result[r, c] = float(np.sum(window * np.asarray(kernel)))\n"
        "    return result\n"
    ]
    notebooks = {
        "copied.ipynb": solutions,
        "renamed.ipynb": [c.replace("image", "picture") for c in solutions],
        "own.ipynb": [*blank_cells(), *own],
    }
    results = []
    for name, cells in notebooks.items():
        path = gradebook.write_notebook(tmp_path / name, cells)
        results.append(gradebook.Graded(name, path))
    count = similarity.write_report(results, master, tmp_path / "pairs.csv")
    with open(tmp_path / "pairs.csv", newline="") as file:
        pairs = {(r["file"], r["similar_to"]) for r in csv.DictReader(file)}
    assert count == len(pairs) > 0
    assert ("copied.ipynb", "the reference solutions") in pairs
    assert ("renamed.ipynb", "the reference solutions") in pairs
    assert not any("own.ipynb" in pair for pair in pairs), pairs
    similarity.write_report(results, master, tmp_path / "report.html")
    html = (tmp_path / "report.html").read_text()
    assert "copied.ipynb" in html and "convbn-similarity-" not in html
    with pytest.raises(ValueError, match="--similarity must name an .html or .csv"):
        similarity.write_report(results, master, tmp_path / "report.txt")


def blank_cells() -> list[str]:
    """Chapter 3's student version: the prompts, nothing solved."""
    return [blank(CH03, n) for n in ("correlate2d", "responses", "correlate1d_full")]
