"""A hostile student against ``python -m convbn.homework grade``: every attack at once.

Each attack is a chapter-3 submission that does the third question honestly and
tries to get the first two for free, or to hurt the grader, the course or the other
students. They are graded in one call of the command line, beside an honest
submission (the reference solutions, with a marker no other notebook holds), under
a wrapper that is the subreaper of the grader: whatever outlives the grader comes
back to it and is counted. For every attack:

- the attacker earns what its honest work earns (q3), nothing more;
- the honest submission keeps full marks and its code stays out of every feedback;
- the course's files are unchanged, nothing is planted, no process is left behind;
- the batch ends within its limits and the grader's own memory stays under
  GRADER_MB (1.25 GB).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from environments import require
from test_grading import CH03, INIT, blank, solution

from conftest import ROOT
from convbn_tools import gradebook, grading, isolation
from convbn_tools.homework import find_exercises

pytestmark = pytest.mark.slow

TIMEOUT = 20
MARKER = "HONEST-WORK-MARKER-5e1f"
COURSE = [
    ROOT / "lib",
    ROOT / "chapters" / CH03,
    ROOT / "conftest.py",
    ROOT / "README.md",
]

REMOUNT = r"""
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
undone = []
for line in open("/proc/self/mountinfo"):
    point = line.split()[4]
    if libc.mount(None, point.encode(), None, 32 | 4096, None) == 0:  # remount rw
        undone.append(point)
planted = []
for folder in [ROOT, ROOT + "/lib", ROOT + "/lib/convbn_tools"]:  # the grader's
    for name in ("keras.py", "numpy.py", "tensorflow.py"):
        try:
            with open(os.path.join(folder, name), "w") as f:
                f.write("import os; os._exit(0)\n")
            planted.append(folder)
        except OSError:
            pass
try:
    with open(ROOT + "/lib/convbn_tools/sandbox.py", "r+") as f:
        text = f.read(); f.seek(0); f.write("import os; os._exit(0)\n" + text)
except OSError:
    pass
raise RuntimeError(f"REPORT remounted {undone} planted {planted}")
"""
READ_OTHERS = r"""
import glob, json
found = []
for base in ["/tmp", "/home", "/root", "/work", ROOT, SUBMISSIONS, OUT]:
    found += glob.glob(base + "/**/*.ipynb", recursive=True)
texts = []
for path in found:
    try:
        texts.append(open(path).read())
    except OSError:
        pass
master = [t for t in texts if "BEGIN SOLUTION" in t]
if master:  # the solutions, run here: full marks with no solution in the notebook
    for cell in json.loads(master[0])["cells"]:
        if cell["cell_type"] == "code":
            try:
                exec("".join(cell["source"]), globals())
            except Exception:
                pass
import convbn_tools.wire as wire
wire._text = lambda error: str(error)  # lift the wire's cap
ours = [p for p in found if p.startswith((ROOT, SUBMISSIONS, OUT))]
raise RuntimeError(f"LEAK {len(ours)} {ours[:3]} " + " ".join(texts)[:200000])
"""
SOCKET = r"""
import ctypes, socket, struct
libc = ctypes.CDLL(None, use_errno=True)
fd = libc.socket(1, 1, 0)  # AF_UNIX, SOCK_STREAM, past the audit hook
path = SOCKET_PATH.encode()
address = struct.pack("H", 1) + path + bytes(108 - len(path))
raise RuntimeError(f"REPORT connect {libc.connect(fd, address, len(address))}")
"""
DECODE_BOMB = r"""
import convbn_tools.wire as wire
tree = ("v", 1)
for _ in range(60):
    tree = ("list", [tree, tree])  # pickled with shared references: a few hundred bytes
real = wire.Channel.encode
def bomb(self, value, depth=0):
    return tree if depth == 0 and callable(value) else real(self, value, depth)
wire.Channel.encode = bomb
"""
KERAS_BOMB = r"""
import json, keras
import convbn_tools.wire as wire
small = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
config = json.dumps(keras.saving.serialize_keras_object(small))
config = config.replace('"units": 2', '"units": 25000')
config = config.replace("[null, 3]", "[null, 25000]")
real = wire.Channel.encode
def bomb(self, value, depth=0):
    return ("keras", config, []) if depth == 0 else real(self, value, depth)
wire.Channel.encode = bomb
"""
KERAS_LAMBDA = r"""
import keras
responses = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2)])
"""
MEMORY = r"""
import os
held, memfd = [], "memfd worked"
for i in range(48):
    try:
        fd = os.memfd_create(f"m{i}")
        os.ftruncate(fd, 64 << 20)
        os.write(fd, b"x" * (64 << 20))
        held.append(fd)
    except OSError as error:
        memfd = f"memfd {error.errno}"
        break
try:
    with open("/tmp/big", "wb") as f, open("/dev/shm/big", "wb") as g:
        for _ in range(48):
            f.write(b"x" * (64 << 20)); g.write(b"x" * (64 << 20))
except OSError as error:
    raise RuntimeError(f"REPORT {memfd} tmpfs {error.errno}")
"""
INODES = r"""
import os
made = 0
try:
    for i in range(3_000_000):
        open(f"/tmp/f{i}", "w").close()
        made += 1
except OSError as error:
    raise RuntimeError(f"REPORT made {made} files: {error.errno}")
"""
THREAD = r"""
import threading, queue
asks, answers = queue.Queue(), queue.Queue()
def helper():
    try:
        from convbn.convolution import correlate2d as real
    except ImportError:
        real = None
    while True:
        image, kernel = asks.get()
        answers.put(real(image, kernel) if real else None)
threading.Thread(target=helper, daemon=True).start()
def correlate2d(image, kernel):
    asks.put((image, kernel))
    return answers.get()
"""
SCIPY = r"""
from scipy.signal import correlate2d as _scipy_correlate2d
def correlate2d(image, kernel):
    return _scipy_correlate2d(image, kernel, mode="valid")
"""
ESCAPE = r"""
import os, sys, ctypes
libc = ctypes.CDLL(None, use_errno=True)
try:
    os.kill(os.getppid(), 9)
    refused = "no"
except PermissionError:
    refused = "yes"
if libc.fork() == 0:  # a child in its own session, past the audit hook
    libc.setsid()
    import time
    time.sleep(120)  # longer than the batch: it must not be alive to wake up
    for path in (OUT + "/grades.csv", ROOT + "/README.md"):
        try:
            open(path, "w").write("rewritten")
        except OSError:
            pass
    os._exit(0)
init = libc.kill(libc.getppid(), 9)  # the sandbox's own init, in its PID namespace
raise RuntimeError(f"REPORT kill refused {refused}, parent {os.getppid()}")
"""
TERMINAL = r"""
raise RuntimeError("\x1b]0;owned\x07\x1b[2J\x1b[31m=HYPERLINK(\"http://x\")\u202e")
"""
RAW = r"""
import gc, os, struct
from convbn_tools.wire import Channel
channel = [o for o in gc.get_objects() if isinstance(o, Channel)][0]
def raw(data):
    view = memoryview(struct.pack("!Q", len(data)) + data)
    while view:
        view = view[os.write(channel.write_fd, view):]
"""
HASH_COLLISIONS = (
    RAW
    + r"""
P = 2**61 - 1  # every multiple hashes to 0: a set of them takes quadratic time
body = b"".join(b"\x8a\x0b" + (k * P).to_bytes(11, "little", signed=True)
                for k in range(1, 120_001))
raw(b"\x80\x05\x8f(" + body + b"\x90.")
"""
)
DUP_BOMB = (
    RAW
    + r"""
raw(b"\x80\x05](N" + b"2" * (60 * 2**20) + b"e.")  # 60 M copies of None
"""
)
NONE_FLOOD = (
    RAW
    + r"""
raw(b"\x80\x05](" + b"N" * (60 * 2**20) + b"e.")  # 60 M Nones
"""
)
ZERO_SIZE_ARRAY = r"""
def correlate2d(image, kernel):
    return np.zeros(500_000_000, dtype=[("a", "<f8", (0,))])  # 0 bytes on the wire
"""
CRASH_AFTER_ERRORS = r"""
raise ValueError("an error before the crash")
"""

#: The grader's own peak memory, TensorFlow and Keras loaded: under 1 GB until jax
#: joined requirements.txt (issue 25); Keras imports jax when it is installed, which
#: adds about 107 MB (685 MB without it, 792 MB with it, measured here).
GRADER_MB = 1280


def attacks(folder: Path, out: Path, listening: str) -> dict[str, list[str]]:
    """name: the attack's cells (q3 done honestly, q1 and q2 left blank)."""
    head = [
        "import numpy as np",
        INIT,
        f"ROOT, SUBMISSIONS, OUT = {str(ROOT)!r}, {str(folder)!r}, {str(out)!r}",
        f"SOCKET_PATH = {listening!r}",
    ]
    honest_q3 = solution(CH03, "correlate1d_full")
    blanks = [blank(CH03, "correlate2d"), blank(CH03, "responses")]
    base = [*head, *blanks, honest_q3]
    return {
        "remount": [*base, REMOUNT],
        "read_others": [*base, READ_OTHERS],
        "socket": [*base, SOCKET],
        "decode_bomb": [*base, DECODE_BOMB],
        "keras_bomb": [*base, KERAS_BOMB],
        "keras_lambda": [*base, KERAS_LAMBDA],
        "memory": [*base, MEMORY],
        "inodes": [*base, INODES],
        "numpy_thread": [*head, blanks[1], honest_q3, THREAD],
        "numpy_scipy": [*head, blanks[1], honest_q3, SCIPY],
        "escape": [*base, ESCAPE],
        "=formula": [*base, TERMINAL],
        "crash_after_errors": [*base, CRASH_AFTER_ERRORS, "import os\nos._exit(5)"],
        "hash_collisions": [*base, HASH_COLLISIONS],
        "dup_bomb": [*base, DUP_BOMB],
        "none_flood": [*base, NONE_FLOOD],
        "zero_size_array": [*head, blanks[1], honest_q3, ZERO_SIZE_ARRAY],
    }


def fingerprint() -> dict[str, str]:
    """A hash of every file of the course's package and of chapter 3."""
    found = {}
    for place in COURSE:
        files = [place] if place.is_file() else sorted(place.rglob("*"))
        for file in files:
            if file.is_file() and "__pycache__" not in file.parts:
                found[str(file)] = hashlib.sha256(file.read_bytes()).hexdigest()
    return found


SUBREAPER = r"""
import ctypes, os, subprocess, sys, time
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)
done = subprocess.run(sys.argv[1:])
time.sleep(10)  # longer than the escaped child sleeps
while True:  # the dead are not left running: reap them
    try:
        if os.waitpid(-1, os.WNOHANG)[0] == 0:
            break
    except ChildProcessError:
        break
left = []
for task in os.listdir(f"/proc/{os.getpid()}/task"):
    left += open(f"/proc/{os.getpid()}/task/{task}/children").read().split()
commands = [open(f"/proc/{p}/cmdline").read().replace("\0", " ")[:300] for p in left]
print("LEFT", len(left), commands, file=sys.stderr)
sys.exit(done.returncode)
"""


@pytest.fixture(scope="module")
def batch(tmp_path_factory, sandbox):
    folder = tmp_path_factory.mktemp("attacks")
    out = tmp_path_factory.mktemp("attacks-out")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listening = str(tmp_path_factory.mktemp("sock") / "agent.sock")
    listener.bind(listening)
    listener.listen(5)
    listener.settimeout(0.5)
    reached = []

    def accept():
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and not reached[:1] == ["stop"]:
            try:
                reached.append(listener.accept())
            except (TimeoutError, OSError):
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    cells = {**attacks(folder, out, listening)}
    honest = [f"# {MARKER}", *gradebook.master_code(find_exercises(ROOT)[CH03])]
    cells["honest"] = honest
    cells["élève"] = cells["èlève"] = honest
    (folder / "dir1").mkdir()
    for name, source in cells.items():
        gradebook.write_notebook(folder / f"{name}.ipynb", source)
    gradebook.write_notebook(folder / "dir1" / "exercises.ipynb", honest)
    gradebook.write_notebook(folder / "dir1_exercises.ipynb", honest)
    # the solutions through a link, a notebook too deep to parse, an odd name, a FIFO
    (folder / "link.ipynb").symlink_to(find_exercises(ROOT)[CH03])
    deep = '{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}"
    (folder / "deep.ipynb").write_text(deep)
    gradebook.write_notebook(
        Path(os.fsdecode(bytes(folder) + b"/bad\xff.ipynb")), honest
    )
    os.mkfifo(folder / "fifo.ipynb")
    before = fingerprint()
    command = [sys.executable, "-c", SUBREAPER, sys.executable, "-m", "convbn.homework"]
    command += ["grade", CH03, str(folder), "--csv", str(out / "grades.csv")]
    command += ["--feedback", str(out / "feedback"), "--timeout", str(TIMEOUT)]
    command += ["--memory", "1024", "-j", "2"]
    start = time.monotonic()
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    seconds = time.monotonic() - start
    reached.insert(0, "stop")
    assert done.returncode == 0, done.stderr[-3000:]
    with open(out / "grades.csv", newline="", encoding="utf-8") as file:
        rows = {r["file"]: r for r in csv.DictReader(file)}
    return {
        "rows": rows,
        "out": out,
        "stdout": done.stdout,
        "stderr": done.stderr,
        "seconds": seconds,
        "before": before,
        "reached": reached[1:],
    }


def scores(row) -> tuple[float, float, float]:
    return tuple(
        float(row[q])
        for q in ("q1_debug_correlate2d", "q2_predict_impulse", "q3_correlate1d_full")
    )


def test_every_attacker_earns_only_its_honest_work(batch):
    rows = batch["rows"]
    names = attacks(Path(), Path(), "")
    attackers = [f for f in rows if f.lstrip("'").removesuffix(".ipynb") in names]
    assert len(attackers) == len(names) == 17
    for name in attackers:
        assert scores(rows[name])[:2] == (0, 0), (name, rows[name])
    for name in (
        "remount",
        "read_others",
        "socket",
        "memory",
        "numpy_scipy",
        "numpy_thread",
    ):
        assert scores(rows[f"{name}.ipynb"]) == (0, 0, 1), rows[f"{name}.ipynb"]


def test_the_honest_work_keeps_full_marks_and_stays_private(batch):
    rows = batch["rows"]
    for name in ("honest.ipynb", "élève.ipynb", "èlève.ipynb", "dir1_exercises.ipynb"):
        assert scores(rows[name]) == (1, 1, 1), rows[name]
    assert scores(rows["dir1/exercises.ipynb"]) == (1, 1, 1)
    for feedback in (batch["out"] / "feedback").iterdir():
        assert MARKER not in feedback.read_text(encoding="utf-8"), feedback.name
    leak = (batch["out"] / "feedback" / "read_others.txt").read_text()
    assert "LEAK 0 []" in leak, leak[:2000]  # it ran, and found none of ours


def test_the_course_is_unchanged_nothing_is_planted_nothing_is_left_running(batch):
    assert fingerprint() == batch["before"]
    for folder in (ROOT, ROOT / "lib", ROOT / "lib" / "convbn_tools"):
        for name in ("keras.py", "numpy.py", "tensorflow.py"):
            assert not (folder / name).exists(), folder / name
    assert "LEFT 0" in batch["stderr"], batch["stderr"][-2000:]
    assert batch["reached"] == [], "a sandbox reached a socket of the host"
    assert (batch["out"] / "grades.csv").read_text().startswith("file,")


def test_the_batch_ends_within_its_limits_and_the_grader_stays_small(batch):
    peak = re.search(r"grader: peak memory (\d+) MB", batch["stderr"])
    assert peak and int(peak.group(1)) < GRADER_MB, batch["stderr"][-2000:]
    rows = batch["rows"]
    assert batch["seconds"] < 300, batch["seconds"]  # 31 notebooks, -j 2
    assert (
        "value of more than"
        in rows["decode_bomb.ipynb"]["error"]
        + (batch["out"] / "feedback" / "decode_bomb.txt").read_text()
    )


def test_a_chapter_without_keras_checkers_reads_no_model(batch):
    feedback = batch["out"] / "feedback"
    for name in ("keras_bomb", "keras_lambda"):
        text = (feedback / f"{name}.txt").read_text()
        assert "responses cannot be read by the grader: this grader reads no " in text


CH10 = "10_keras_models"
MODEL_LAMBDA = """
import keras
model = keras.Sequential([keras.Input((3,)), keras.layers.Lambda(lambda x: x * 2)])
"""


HEAVY_MODEL = """
import keras
from keras import layers
_honest_to_functional = to_functional
def to_functional(model):  # the same answer, after work that has no weights
    inputs = keras.Input(shape=model.input_shape[1:])
    x = layers.RepeatVector(500)(inputs)
    for _ in range(40):
        x = layers.MaxPooling1D(500, strides=1, padding="same")(x)
    x = layers.GlobalMaxPooling1D()(x)
    return keras.Model(inputs, _honest_to_functional(model)(x))
"""
CALLBACK = """
_honest_find = find_counterexample
def find_counterexample(f, inputs, boundary):
    try:
        f(np.full((10000, 1), 3.0))  # would run in the grader, as a 10000 x 10000
    except ValueError as error:
        print(error)
    return _honest_find(f, inputs, boundary)
"""


def test_a_checkers_function_takes_only_small_inputs_in_the_grader(tmp_path, sandbox):
    """Chapter 5 hands the student the grader's own maps; called with a large
    input they refuse it, so the grader stays small, and honest work keeps its
    marks."""
    honest = gradebook.master_code(find_exercises(ROOT)["05_equivariance"])
    gradebook.write_notebook(tmp_path / "callback.ipynb", [*honest, CALLBACK])
    out = tmp_path / "out"
    command = [sys.executable, "-m", "convbn.homework", "grade", "05_equivariance"]
    command += [str(tmp_path / "callback.ipynb"), "--timeout", "60"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "total: 3 / 3" in done.stdout, done.stdout
    peak = re.search(r"grader: peak memory (\d+) MB", done.stderr)
    assert peak and int(peak.group(1)) < GRADER_MB, done.stderr[-2000:]
    del out


def test_keras_models_are_measured_before_they_are_built(tmp_path, sandbox):
    """Chapter 10 reads the student's model: a config that declares a 25,000 x
    25,000 layer is measured in a sandbox of its own and refused there, a Lambda
    layer is refused with Keras's own message, honest work keeps full marks, and
    the grader stays under GRADER_MB."""
    honest = gradebook.master_code(find_exercises(ROOT)[CH10])
    cases = (
        ("honest", []),
        ("bomb", [KERAS_BOMB]),
        ("lambda", [MODEL_LAMBDA]),
        ("heavy", [HEAVY_MODEL]),
    )
    for name, extra in cases:
        gradebook.write_notebook(tmp_path / f"{name}.ipynb", [*honest, *extra])
    out = tmp_path / "out"
    command = [sys.executable, "-m", "convbn.homework", "grade", CH10, str(tmp_path)]
    command += ["--csv", str(out / "grades.csv"), "--feedback", str(out / "fb")]
    command += ["--timeout", "240", "--memory", "2048", "-j", "1"]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with open(out / "grades.csv", newline="") as file:
        rows = {r["file"]: r for r in csv.DictReader(file)}
    assert float(rows["honest.ipynb"]["total"]) == 4, rows["honest.ipynb"]
    for name in ("bomb", "lambda"):  # the bomb also replaces what its functions return
        assert float(rows[f"{name}.ipynb"]["q1_sequential"]) == 0
        assert float(rows[f"{name}.ipynb"]["total"]) <= 3, rows[f"{name}.ipynb"]
    bomb = (out / "fb" / "bomb.txt").read_text()
    assert "could not be built within the limits (2048 MB)" in bomb, bomb
    heavy = (out / "fb" / "heavy.txt").read_text()
    assert float(rows["heavy.ipynb"]["q3_functional"]) == 0, heavy
    assert re.search(r"takes (more than )?[\d.]+ s for 32 samples", heavy), heavy
    refused = (out / "fb" / "lambda.txt").read_text()
    assert "Keras refused the model: ValueError" in refused and "Lambda" in refused
    peak = re.search(r"grader: peak memory (\d+) MB", done.stderr)
    assert peak and int(peak.group(1)) < GRADER_MB, done.stderr[-2000:]


def test_numpy_only_cannot_be_bypassed_by_a_thread_or_scipy(batch):
    feedback = batch["out"] / "feedback"
    assert "numpy only" in (feedback / "numpy_scipy.txt").read_text()
    assert scores(batch["rows"]["numpy_thread.ipynb"])[0] == 0


def test_the_gradebook_is_defused_and_clean(batch):
    raw = (batch["out"] / "grades.csv").read_text(encoding="utf-8")
    assert "\x1b" not in raw and "\u202e" not in raw and "\x07" not in raw
    rows = batch["rows"]
    assert "'=formula.ipynb" in rows
    assert "\x1b" not in batch["stdout"] and "\x1b" not in batch["stderr"]
    names = sorted(p.name for p in (batch["out"] / "feedback").iterdir())
    assert len(names) == len(rows) and len(set(n.casefold() for n in names)) == len(
        names
    )
    assert {
        "élève.txt",
        "èlève.txt",
        "dir1__exercises.txt",
        "dir1_exercises.txt",
    } <= set(names)
    crash = (batch["out"] / "feedback" / "crash_after_errors.txt").read_text()
    assert "an error before the crash" in crash and "exited with status 5" in crash
    for row in rows.values():
        assert row["isolation"].startswith("bubblewrap")


def test_a_model_message_is_kerass_own(batch):
    row = batch["rows"]["keras_lambda.ipynb"]
    assert "broke the wire" not in row["error"], row
    assert json.dumps(row)  # the row is plain text
    assert os.path.exists(batch["out"] / "feedback" / "keras_lambda.txt")


def test_without_a_cgroup_one_tmpfs_limits_files_and_inodes(tmp_path, sandbox):
    """Where no cgroup can be made, the writable places share one tmpfs with a size
    and an inode limit (mounted by ``unshare``): the attacks on memory that the
    poll of resident memory cannot see stop there, and honest work is unharmed."""
    require(
        isolation._private_tmpfs() == "tmpfs",
        "a tmpfs that `unshare -rm` can mount (user namespaces: util-linux's unshare)",
    )
    box = isolation.Isolation(sandbox.bwrap, "tmpfs", sandbox.seccomp)
    out = tmp_path / "out"
    cells = attacks(tmp_path, out, str(tmp_path / "none.sock"))
    honest = gradebook.master_code(find_exercises(ROOT)[CH03])
    made = [
        (name, gradebook.write_notebook(tmp_path / f"{name}.ipynb", source))
        for name, source in (
            ("honest", honest),
            ("inodes", cells["inodes"]),
            ("memory", cells["memory"]),
        )
    ]
    questions = gradebook.read_questions(find_exercises(ROOT)[CH03])
    honest, inodes, memory = grading.grade_batch(
        questions,
        made,
        timeout=TIMEOUT,
        memory_mb=1024,
        jobs=1,
        progress=False,
        box=box,
    )
    assert honest.total == 3 and not honest.error, honest.error
    for attacker in (inodes, memory):
        assert attacker.scores["q1_debug_correlate2d"] == 0
        assert attacker.total == 1 and not attacker.error, attacker.error
    assert "tmpfs with an inode limit" in box.summary()
    made = next(e for e in inodes.cell_errors if "REPORT made" in e)
    count = int(re.search(r"made (\d+) files: 28", made).group(1))  # ENOSPC
    assert isolation.TMPFS_INODES - 100 < count < isolation.TMPFS_INODES, made
    assert re.search(r"REPORT memfd 1 tmpfs (27|28)", " ".join(memory.cell_errors))


def test_sigterm_ends_the_batch_and_every_sandbox_at_once(tmp_path, sandbox):
    """An instructor's Ctrl-C or SIGTERM ends the batch within seconds, even while a
    submission hangs, and leaves nothing running (the wrapper is the subreaper)."""
    hang = [*gradebook.master_code(find_exercises(ROOT)[CH03]), "while True: pass"]
    for number in range(2):
        gradebook.write_notebook(tmp_path / f"hang{number}.ipynb", hang)
    command = [sys.executable, "-c", SUBREAPER, sys.executable, "-m", "convbn.homework"]
    command += ["grade", CH03, str(tmp_path), "--timeout", "300", "-j", "2"]
    process = subprocess.Popen(
        command, cwd=ROOT, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    time.sleep(25)  # Keras imported, the sandboxes started, the cells hanging
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text()
    grader = [
        int(p)
        for p in children.split()
        if b"convbn.homework" in Path(f"/proc/{p}/cmdline").read_bytes()
    ]
    assert len(grader) == 1, children
    start = time.monotonic()
    os.kill(grader[0], 15)
    _, stderr = process.communicate(timeout=60)
    assert time.monotonic() - start < 25, stderr[-2000:]
    assert "LEFT 0" in stderr, stderr[-2000:]


VIEW_SEARCH = r"""
import os
FORBIDDEN = {"scipy", "convbn", "tensorflow", "keras", "sklearn", "skimage", "jax",
             "torch"}
hits = []
for top, folders, files in os.walk("/"):
    if top.startswith(("/proc", "/dev", "/sys")):
        folders[:] = []
        continue
    parts = set(top.split("/"))
    if parts & FORBIDDEN and any(f.endswith((".py", ".so")) for f in files):
        hits.append(top)
    for name in files:  # single-file modules, eggs and zips of those packages
        stem = name.split(".")[0].split("-")[0].lower()
        if stem in FORBIDDEN and name.endswith((".py", ".so", ".egg", ".zip")):
            hits.append(os.path.join(top, name))
print("HITS", len(hits), hits[:5], "CONVBN", any("/convbn/" in h for h in hits))
"""


def test_the_numpy_only_view_holds_none_of_the_forbidden_packages(sandbox):
    """The whole file system of the numpy-only view, searched on this machine: no
    folder of convbn, scipy, TensorFlow, Keras, scikit-learn, scikit-image, JAX or
    PyTorch with code in it (jedi's type stubs, ``.pyi`` files, do not count), no
    module, egg or zip of theirs; the full view has convbn."""
    found = {}
    for numpy_only in (True, False):
        argv = [sys.executable, "-c", VIEW_SEARCH]
        done = sandbox.run(argv, 512, numpy_only, timeout=300)
        found[numpy_only] = done.stdout
    assert "HITS 0 " in found[True], found[True]
    assert "CONVBN True" in found[False], found[False]


def test_files_that_are_not_notebooks_are_graded_zero_with_why(batch):
    rows = batch["rows"]
    assert "symbolic link" in rows["link.ipynb"]["error"], rows["link.ipynb"]
    assert "not a readable notebook" in rows["deep.ipynb"]["error"]
    assert "not a regular file" in rows["fifo.ipynb"]["error"]
    for name in ("link.ipynb", "deep.ipynb", "fifo.ipynb"):
        assert float(rows[name]["total"]) == 0
    assert scores(rows["bad\\xff.ipynb"]) == (1, 1, 1), sorted(rows)


def test_the_wire_refuses_what_would_stall_or_flood_the_grader(batch):
    rows = batch["rows"]
    assert "a message with a EMPTY_SET opcode" in rows["hash_collisions.ipynb"]["error"]
    assert "a message with a DUP opcode" in rows["dup_bomb.ipynb"]["error"]
    assert "more than 2000000 objects" in rows["none_flood.ipynb"]["error"]
    zero = (batch["out"] / "feedback" / "zero_size_array.txt").read_text()
    assert "an array of a type the grader does not read" in zero, zero


def test_each_attack_ran_and_failed(batch):
    """Each attack reports what it achieved (its last cell raises it), so that
    the other tests cannot pass because an attack never ran."""
    feedback = batch["out"] / "feedback"

    def said(name):
        return (feedback / f"{name}.txt").read_text()

    # (what it "planted" went to its own private /tmp where the course lies under
    # /tmp, as in CI: the course's files on the host are checked elsewhere)
    assert "REPORT remounted [] planted" in said("remount")
    assert "REPORT connect -1" in said("socket")
    # EPERM; then EFBIG (the file-size limit) or ENOSPC (the tmpfs is full)
    assert re.search(r"REPORT memfd 1 tmpfs (27|28)", said("memory")), said("memory")
    assert "REPORT kill refused yes, parent 1" in said("escape")
    inodes = batch["rows"]["inodes.ipynb"]["error"]
    assert "exceeded the memory limit" in inodes, inodes  # the cgroup counts them
