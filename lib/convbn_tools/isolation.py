"""How a submission's process is kept apart from everything else: bubblewrap, limits.

:mod:`convbn_tools.grading` starts every submission's process through
``Isolation.command``. With bubblewrap (``bwrap``, the sandbox Flatpak uses;
Debian's package ``bubblewrap``) the process gets:

- **a view of the file system that holds only what Python needs**, read-only: the
  system's ``/usr`` (libraries), a few files of ``/etc`` (the loader's cache,
  fonts), the Python installation and every folder on its path (which may lie in
  the instructor's home), and of the course only its two packages ``convbn`` and
  ``convbn_tools``. The course's folder (with the master notebooks and their
  solutions), the submissions, the output folder and the rest of the instructor's
  home are not in it (where a folder of the view holds the course's folder, an
  empty one is laid over it). A *numpy-only* view holds the interpreter, its
  standard library, and of the third-party packages only numpy, IPython and
  matplotlib (and what they require), every site-packages folder hidden:
  ``convbn``, scipy or TensorFlow cannot be imported there at all.
- **mounts it cannot undo**: every capability is dropped, further user namespaces
  are disabled (``--disable-userns``), and a seccomp filter refuses ``mount``,
  ``unshare``, ``setns``, ``ptrace``, ``memfd_create``, ``io_uring`` and the other
  calls a sandbox has no use for (:func:`seccomp_filter`, with libseccomp through
  ``pyseccomp``; without it the report says so);
- **private** ``/tmp``, ``/dev/shm``, ``/run`` and home, each a small ``tmpfs``:
  no socket file of the host is reachable; no network namespace but its own (no
  interface but a loopback that is down), its own PID namespace, a new session,
  and it dies with the grader (``--die-with-parent``).

The limits: where the machine lets the grader make one, a **cgroup** memory and
task limit, which counts everything the process holds (its files in ``tmpfs``,
``memfd``, the kernel's own tables): cgroup v1 directories it can write (as root),
or cgroup v2 through ``systemd-run --user --scope`` (checked first: systemd must
delegate the memory and pids controllers, as current desktop distributions do).
Otherwise the writable places share one ``tmpfs`` with a size and an inode limit
(:data:`TMPFS_INODES`), which ``unshare -rm`` mounts in a user namespace of its
own (where even that fails, each is a ``tmpfs`` of :data:`TMPFS_MB` with
bubblewrap's ``--size``, which sets no inode limit), with ``RLIMIT_NPROC`` (which
does not bind root), ``RLIMIT_NOFILE`` and the grader's poll of resident memory.
``Isolation.describe`` says which are in force; the grading command prints it, and
the CSV names it in its ``isolation`` column.

Without bubblewrap (or where it cannot start: no user namespaces), there is no
isolation, and :mod:`convbn_tools.homework` refuses to grade unless the
instructor passes ``--unsafe``.
"""

from __future__ import annotations

import atexit
import errno
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Isolation",
    "Launch",
    "NUMPY_VIEW_PACKAGES",
    "FORBIDDEN_IN_NUMPY_VIEW",
    "detect",
    "seccomp_filter",
]

#: The distributions of the numpy-only view (with every distribution they require).
NUMPY_VIEW_PACKAGES = ("numpy", "ipython", "matplotlib")
#: Import names that must not be in the numpy-only view (checked when it is made).
FORBIDDEN_IN_NUMPY_VIEW = frozenset(
    {"convbn", "scipy", "tensorflow", "keras", "jax", "torch", "sklearn", "skimage"}
)
#: Where the sandbox's home (its working directory) and the numpy view are.
HOME = "/home/sandbox"
VIEW = "/opt/convbn-view"
#: The size (MB) of each writable place (``/tmp``, ``/dev/shm``, ``/run``, home).
TMPFS_MB = 256
#: The inode limit of the one ``tmpfs`` that holds every writable place where no
#: cgroup can be made (of ``2 * TMPFS_MB``, mounted by ``unshare`` in a user
#: namespace of its own).
TMPFS_INODES = 20000
_TMPFS_SCRIPT = (
    'mount -t tmpfs -o "$2" tmpfs "$1" && mkdir "$1/tmp" "$1/shm" "$1/run" '
    '"$1/home" && shift 2 && exec "$@"'
)
#: The largest number of tasks (processes and threads) of one sandbox.
TASKS = 512
#: What ``systemd-run --user`` needs to reach the user's service manager (kept in
#: the environment of the command, removed inside bubblewrap).
SYSTEMD_ENV = ("XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS")
_ETC = (
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "fonts",
    "localtime",
    "alternatives",
    "mime.types",
)
_CLONE_NAMESPACES = (
    0x00020000,  # CLONE_NEWNS
    0x02000000,  # CLONE_NEWCGROUP
    0x04000000,  # CLONE_NEWUTS
    0x08000000,  # CLONE_NEWIPC
    0x10000000,  # CLONE_NEWUSER
    0x20000000,  # CLONE_NEWPID
    0x40000000,  # CLONE_NEWNET
)
#: System calls the sandbox's process is refused (EPERM).
REFUSED_SYSCALLS = (
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "mount_setattr",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "kcmp",
    "keyctl",
    "add_key",
    "request_key",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "open_by_handle_at",
    "name_to_handle_at",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "syslog",
    "uselib",
    "memfd_create",
    "memfd_secret",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "sethostname",
    "setdomainname",
    "settimeofday",
    "clock_settime",
    "adjtimex",
    "vhangup",
    "fanotify_init",
)


def seccomp_filter():
    """A compiled seccomp program (bytes) refusing :data:`REFUSED_SYSCALLS`,
    ``clone`` with a namespace flag and ``ioctl(TIOCSTI)``; ``clone3`` answers
    ENOSYS so that the C library falls back to ``clone``, whose flags the filter
    can read. None where libseccomp (``pyseccomp``) is not available."""
    try:
        import pyseccomp as seccomp

        rules = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    except Exception:  # no pyseccomp, or no libseccomp.so.2 for it to load
        return None
    refused = seccomp.ERRNO(errno.EPERM)
    for name in REFUSED_SYSCALLS:
        try:
            rules.add_rule(refused, name)
        except Exception:  # a call this kernel's libseccomp does not know
            pass
    rules.add_rule(seccomp.ERRNO(errno.ENOSYS), "clone3")
    for flag in _CLONE_NAMESPACES:
        rules.add_rule(refused, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, flag, flag))
    rules.add_rule(
        refused, "ioctl", seccomp.Arg(1, seccomp.MASKED_EQ, 0xFFFFFFFF, 0x5412)
    )
    with tempfile.TemporaryFile() as file:
        rules.export_bpf(file)
        file.seek(0)
        return file.read()


# --------------------------------------------------------------------------
# Limits: cgroups
# --------------------------------------------------------------------------
def _own_cgroup_v1(controller: str) -> Path | None:
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, names, path = line.split(":", 2)
        if controller in names.split(","):
            folder = Path("/sys/fs/cgroup") / controller / path.lstrip("/")
            if (folder / "cgroup.procs").exists() and os.access(folder, os.W_OK):
                return folder
    return None


@dataclass
class _Cgroups:
    """A sandbox's cgroup v1 memory and pids directories (made, then removed)."""

    memory: Path
    pids: Path

    @classmethod
    def make(cls, memory_mb: int) -> _Cgroups:
        name = f"convbn-sandbox-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        made = cls(_own_cgroup_v1("memory") / name, _own_cgroup_v1("pids") / name)
        try:
            made._limit(memory_mb)
        except BaseException:
            made.remove()
            raise
        return made

    def _limit(self, memory_mb: int) -> None:
        memory, pids = self.memory, self.pids
        memory.mkdir()
        pids.mkdir()
        limit = str(memory_mb * 2**20)
        (memory / "memory.limit_in_bytes").write_text(limit)
        swap = memory / "memory.memsw.limit_in_bytes"
        if swap.exists():  # no swap beyond the limit either
            try:
                swap.write_text(limit)
            except OSError:
                pass
        (pids / "pids.max").write_text(str(TASKS))

    def prefix(self) -> list[str]:
        """The command that moves itself into both cgroups, then runs the rest."""
        script = 'echo $$ > "$1" && echo $$ > "$2" && shift 2 && exec "$@"'
        procs = [str(self.memory / "cgroup.procs"), str(self.pids / "cgroup.procs")]
        return ["sh", "-c", script, "sh", *procs]

    def out_of_memory(self) -> bool:
        """Whether the kernel killed a process of the cgroup for memory."""
        try:
            text = (self.memory / "memory.oom_control").read_text()
        except OSError:
            return False
        counts = dict(line.split() for line in text.splitlines() if line.strip())
        return int(counts.get("oom_kill", 0)) > 0

    def remove(self) -> None:
        for folder in (self.memory, self.pids):
            for _ in range(50):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # its last process is still being reaped
                    threading.Event().wait(0.02)


def _private_tmpfs() -> str:
    """ "tmpfs" where ``unshare -rm`` can mount a tmpfs with an inode limit (a user
    namespace of its own), else ""."""
    if not shutil.which("unshare"):
        return ""
    with tempfile.TemporaryDirectory(prefix="convbn-tmpfs-") as host:
        command = ["unshare", "-rm", "--propagation", "private", "sh", "-c"]
        command += [_TMPFS_SCRIPT, "sh", host, "size=1m,nr_inodes=64", "true"]
        try:
            done = subprocess.run(command, capture_output=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return ""
        return "tmpfs" if done.returncode == 0 else ""


def _systemd_run() -> list[str]:
    user = [] if os.geteuid() == 0 else ["--user"]
    return ["systemd-run", *user, "--scope", "--quiet", "--collect"]


def _limits_available(memory_mb: int) -> str:
    """Which cgroup limits this machine lets the grader make: "cgroup v1",
    "cgroup v2", or "" (none)."""
    if _own_cgroup_v1("memory") and _own_cgroup_v1("pids"):
        try:
            _Cgroups.make(64).remove()
            return "cgroup v1"
        except OSError:
            pass
    if (
        shutil.which("systemd-run")
        and Path("/sys/fs/cgroup/cgroup.controllers").exists()
    ):
        # inside the scope: the limits must be there (a user manager without the
        # memory and pids controllers delegated accepts them and enforces nothing)
        check = (
            "c=/sys/fs/cgroup$(cut -d: -f3 /proc/self/cgroup | tail -n 1); "
            '[ "$(cat "$c/memory.max")" = 67108864 ] && [ "$(cat "$c/pids.max")" = 16 ]'
        )
        command = [*_systemd_run(), "-p", "MemoryMax=64M", "-p", "MemorySwapMax=0"]
        command += ["-p", "TasksMax=16", "--", "sh", "-c", check]
        keep = ("PATH", "LANG", "VIRTUAL_ENV", *SYSTEMD_ENV)
        env = {k: v for k, v in os.environ.items() if k in keep}
        try:
            done = subprocess.run(command, capture_output=True, timeout=30, env=env)
            if done.returncode == 0:
                return "cgroup v2"
        except (OSError, subprocess.SubprocessError):
            pass
    return ""


# --------------------------------------------------------------------------
# The file system the sandbox sees
# --------------------------------------------------------------------------
def _python_paths() -> list[str]:
    """The ``sys.path`` a new Python here starts with (site-packages, ``.pth``
    entries, ``PYTHONPATH``), without the script's folder."""
    code = "import sys, json; print(json.dumps(sys.path[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd="/",
        timeout=60,
    )
    return [p for p in json.loads(done.stdout) if p and os.path.isdir(p)]


def _course_packages() -> list[Path]:
    """The folders of ``convbn`` and ``convbn_tools`` (the course's packages)."""
    import convbn
    import convbn_tools

    return [
        Path(convbn.__file__).resolve().parent,
        Path(convbn_tools.__file__).resolve().parent,
    ]


def _hidden_course(sources) -> Path | None:
    """The course's folder (the one with ``chapters/``, where the master notebooks
    hold the solutions) if one of ``sources``, or ``/usr``, holds it."""
    top = _course_packages()[0].parent.parent
    if not (top / "chapters").is_dir():
        return None  # an installed package: no course folder around it
    holders = [p for p in [*sources, Path("/usr")] if _inside(top, p)]
    return top if holders else None


def _site_folders(roots) -> list[Path]:
    """The ``site-packages`` and ``dist-packages`` folders under ``roots`` (Python
    prefixes, ``/usr``), where third-party packages live."""
    patterns = ["lib*/python*/site-packages", "lib*/python*/dist-packages"]
    patterns += ["lib/python3/dist-packages", "local/lib*/python*/site-packages"]
    patterns += ["local/lib*/python*/dist-packages"]
    found = set()
    for root in roots:
        for pattern in patterns:
            found |= {p for p in Path(root).glob(pattern) if p.is_dir()}
    return sorted(found)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def _distribution_files(names) -> list[Path]:
    """The top-level files and folders of the distributions ``names`` and of every
    distribution they require (extras left out), in site-packages."""
    from importlib import metadata

    from packaging.requirements import Requirement

    todo, seen, found = list(names), set(), set()
    while todo:
        name = todo.pop()
        key = name.lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
        for file in dist.files or []:
            top = file.parts[0]
            if top == ".." or top.endswith(".pth") or top == "__pycache__":
                continue
            located = Path(dist.locate_file(top))
            if located.exists():
                found.add(located.resolve())
    return sorted(found)


@dataclass
class Launch:
    """What ``Isolation.command`` returns: the command, the descriptors it
    must inherit, and what to undo after the process ends."""

    argv: list[str]
    pass_fds: tuple[int, ...] = ()
    cgroups: _Cgroups | None = None
    _files: list = field(default_factory=list)
    _folders: list = field(default_factory=list)

    def out_of_memory(self) -> bool:
        """Whether the cgroup's memory limit killed a process (cgroup v1)."""
        return self.cgroups is not None and self.cgroups.out_of_memory()

    def close(self) -> None:
        """Remove the cgroups and close the seccomp program's descriptor."""
        if self.cgroups is not None:
            self.cgroups.remove()
            self.cgroups = None
        for file in self._files:
            file.close()
        for folder in self._folders:  # a private tmpfs's mount point
            shutil.rmtree(folder, ignore_errors=True)
        self._files, self._folders = [], []


class Isolation:
    """What this machine offers a submission's process (see the module's text).

    ``bwrap`` is the path of bubblewrap (None: no isolation); ``limits`` is
    "cgroup v1", "cgroup v2", "tmpfs" (a private tmpfs with an inode limit, and
    rlimits) or "" (tmpfs sizes and rlimits only); ``seccomp`` the compiled filter
    (None without libseccomp).
    """

    def __init__(
        self, bwrap: str | None, limits: str, seccomp: bytes | None, why: str = ""
    ):
        self.bwrap, self.limits, self.seccomp, self.why = bwrap, limits, seccomp, why
        self._empty: str | None = None  # an empty folder, laid over what is hidden
        self._paths: list[str] | None = None
        self._view: list[Path] | None = None

    @property
    def isolated(self) -> bool:
        """Whether submissions run in bubblewrap."""
        return self.bwrap is not None

    def summary(self) -> str:
        """One line for the gradebook: what isolated the submissions, or UNSAFE."""
        if not self.isolated:
            return f"UNSAFE: graded without isolation ({self.why})"
        seccomp = ", seccomp" if self.seccomp else ", no seccomp"
        limits = {
            "": "rlimits (no cgroup, no inode limit)",
            "tmpfs": "rlimits and a tmpfs with an inode limit (no cgroup)",
        }.get(self.limits, self.limits)
        return f"bubblewrap, {limits}{seccomp}"

    def describe(self) -> list[str]:
        """What is in force, a line each (printed by the grading report)."""
        if not self.isolated:
            return [f"no isolation: {self.why}"]
        lines = [
            "bubblewrap: read-only view of Python and its packages only; private "
            "/tmp, /dev/shm, /run and home; no network; own PID namespace; no "
            "capabilities; no user namespaces",
            "seccomp: "
            + ("in force" if self.seccomp else "not available (no libseccomp)"),
        ]
        if self.limits == "cgroup v1":
            lines.append(f"limits: cgroup v1 memory and pids ({TASKS} tasks)")
        elif self.limits == "cgroup v2":
            lines.append(
                f"limits: cgroup v2 through systemd-run (MemoryMax, TasksMax={TASKS})"
            )
        elif self.limits == "tmpfs":
            lines.append(
                f"limits: no cgroup; one tmpfs of {2 * TMPFS_MB} MB and "
                f"{TMPFS_INODES} inodes for every writable place, RLIMIT_NPROC, "
                "RLIMIT_NOFILE, resident memory polled"
            )
        else:
            lines.append(
                f"limits: no cgroup; tmpfs of {TMPFS_MB} MB each (no inode limit: "
                "unshare could not mount one), RLIMIT_NPROC, RLIMIT_NOFILE, "
                "resident memory polled"
            )
        return lines

    # the view -------------------------------------------------------------
    def _system_binds(self) -> list[str]:
        args = ["--ro-bind", "/usr", "/usr"]
        for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
            path = Path("/") / name
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        for name in _ETC:
            args += ["--ro-bind-try", f"/etc/{name}", f"/etc/{name}"]
        return args

    def _sources(self, numpy_only: bool) -> list[Path]:
        """What of Python the view shows, each at its own path: for the full view
        the installation (its prefixes), every folder on its path and the
        course's two packages; for the numpy-only view the interpreter and its
        standard library only (their site-packages are hidden, see
        :func:`_site_folders`)."""
        if self._paths is None:
            self._paths = _python_paths()
        executable = Path(os.path.realpath(sys.executable)).parent
        packages = _course_packages()
        if numpy_only:
            paths = sysconfig.get_paths()
            found = {executable, Path(sys.executable).parent}
            found |= {Path(paths["stdlib"]), Path(paths["platstdlib"])}
            libdir = sysconfig.get_config_var("LIBDIR")
            if libdir and Path(libdir).is_dir():
                found.add(Path(libdir))
            if (Path(sys.prefix) / "pyvenv.cfg").is_file():
                found.add(Path(sys.prefix) / "pyvenv.cfg")
            return sorted(found, key=lambda p: (len(p.parts), str(p)))
        prefixes = {Path(sys.base_prefix), Path(sys.prefix), executable}
        found = set(prefixes)
        lib = {p.parent for p in packages}
        for entry in self._paths:
            path = Path(entry).resolve()
            if any(_inside(path, p) for p in prefixes) and "-packages" not in entry:
                continue  # the standard library: in its prefix
            if path in lib or any(_inside(c, path) for c in lib):
                found |= set(packages)  # the course's lib folder: its packages only
            else:
                found.add(path)
        return sorted(found, key=lambda p: (len(p.parts), str(p)))

    def _python_binds(self, numpy_only: bool) -> list[str]:
        """bubblewrap's arguments for :meth:`_sources`; the course's folder, if
        one of them holds it (a Python installed around it, a folder on the
        path), is replaced by an empty ``tmpfs`` in which only what lies inside
        it is bound again (a ``.venv`` in the course's folder, its packages)."""
        sources = self._sources(numpy_only)
        course = _hidden_course(sources)
        inner = [p for p in sources if course is not None and _inside(p, course)]
        args = []
        for path in sources:
            if path not in inner and not _inside(path, Path("/usr")):
                args += ["--ro-bind", str(path), str(path)]
        if course is not None:  # an empty tmpfs over it, then what lies inside
            args += ["--tmpfs", str(course)]
            for path in inner:
                args += ["--ro-bind", str(path), str(path)]
            args += ["--remount-ro", str(course)]
        if numpy_only:  # every site-packages of every Python here: hidden
            roots = [Path(sys.base_prefix), Path(sys.prefix), Path("/usr"), *sources]
            for folder in _site_folders(roots):
                if any(_inside(folder, p) for p in [*sources, Path("/usr")]):
                    args += ["--ro-bind", self._empty_folder(), str(folder)]
            args += ["--dir", VIEW]
            for item in [*self.numpy_view(), _course_packages()[1]]:
                args += ["--ro-bind", str(item), f"{VIEW}/{item.name}"]
        return args

    def _empty_folder(self) -> str:
        if self._empty is None:
            self._empty = tempfile.mkdtemp(prefix="convbn-empty-")
            atexit.register(shutil.rmtree, self._empty, ignore_errors=True)
        return self._empty

    def numpy_view(self) -> list[Path]:
        """The top-level files and folders of the numpy-only view's packages."""
        if self._view is None:
            found = _distribution_files(NUMPY_VIEW_PACKAGES)
            self._view = [
                p for p in found if p.name.split(".")[0] not in FORBIDDEN_IN_NUMPY_VIEW
            ]
        return self._view

    def command(self, argv: list[str], memory_mb: int, numpy_only: bool) -> Launch:
        """The command that runs ``argv`` (a Python command) isolated, with
        ``memory_mb`` of memory, in the full or the numpy-only view."""
        if not self.isolated:
            return Launch(list(argv))
        launch = Launch([])
        args = [self.bwrap, "--unshare-all", "--unshare-user", "--disable-userns"]
        args += ["--cap-drop", "ALL", "--die-with-parent", "--new-session"]
        if self.seccomp:
            program = tempfile.TemporaryFile()
            program.write(self.seccomp)
            program.flush()
            program.seek(0)
            launch._files.append(program)
            launch.pass_fds = (program.fileno(),)
            args += ["--seccomp", str(program.fileno())]
        args += self._system_binds()
        args += ["--proc", "/proc", "--dev", "/dev"]
        prefix: list[str] = []
        places = (("/tmp", "tmp"), ("/dev/shm", "shm"), ("/run", "run"), (HOME, "home"))
        if self.limits == "tmpfs":
            host = tempfile.mkdtemp(prefix="convbn-tmpfs-")
            launch._folders.append(host)
            options = f"size={2 * TMPFS_MB}m,nr_inodes={TMPFS_INODES},mode=700"
            prefix = ["unshare", "-rm", "--propagation", "private", "sh", "-c"]
            prefix += [_TMPFS_SCRIPT, "sh", host, options]
            for place, folder in places:
                args += ["--bind", f"{host}/{folder}", place]
        else:
            for place, _ in places:
                args += ["--size", str(TMPFS_MB * 2**20), "--tmpfs", place]
        # after the private places: a Python (or the course) under /tmp stays in view
        args += self._python_binds(numpy_only)
        args += ["--remount-ro", "/dev", "--remount-ro", "/", "--chdir", HOME]
        if numpy_only:
            args += [
                "--setenv",
                "PYTHONPATH",
                VIEW,
                "--setenv",
                "CONVBN_NUMPY_ONLY",
                "1",
            ]
        else:
            args += ["--unsetenv", "PYTHONPATH"]
        args += ["--setenv", "HOME", HOME, "--setenv", "TMPDIR", "/tmp"]
        for name in SYSTEMD_ENV:
            args += ["--unsetenv", name]
        if self.limits == "cgroup v1":
            launch.cgroups = _Cgroups.make(memory_mb)
            prefix = launch.cgroups.prefix()
        elif self.limits == "cgroup v2":
            prefix = [*_systemd_run(), "-p", f"MemoryMax={memory_mb}M"]
            prefix += ["-p", "MemorySwapMax=0", "-p", f"TasksMax={TASKS}", "--"]
        launch.argv = [*prefix, *args, "--", *argv]
        return launch

    def run(
        self, argv: list[str], memory_mb: int, numpy_only: bool, timeout: float
    ) -> subprocess.CompletedProcess:
        """Run ``argv`` isolated to its end (text output captured), then undo
        what :meth:`command` made."""
        launch = self.command(argv, memory_mb, numpy_only)
        try:
            return subprocess.run(
                launch.argv,
                pass_fds=launch.pass_fds,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        finally:
            launch.close()

    def visible(self, path: str | Path) -> bool:
        """Whether ``path`` lies in a folder the sandbox's full view shows."""
        path = Path(path).resolve()
        sources = self._sources(numpy_only=False)
        course = _hidden_course(sources)
        if course is not None and _inside(path, course):
            return any(_inside(path, p) for p in sources if _inside(p, course))
        shown = [Path("/usr"), *sources, *(Path("/etc") / n for n in _ETC)]
        return any(_inside(path, p) for p in shown)


_PROBE = r"""
import os, socket, sys, ctypes
libc = ctypes.CDLL(None, use_errno=True)
assert libc.mount(None, b"/", None, 32 | 4096, None) != 0, "remount worked"
assert [n for _, n in socket.if_nameindex()] in ([], ["lo"]), "a network interface"
assert os.getpid() < 10, "not in its own PID namespace"
for place in sys.argv[1:]:
    try:
        open(os.path.join(place, "convbn-probe"), "w")
    except OSError:
        continue
    raise AssertionError("wrote to " + place)
import convbn  # noqa: F401 (the course's package is in the full view)
print("isolated")
"""

_DETECTED: dict = {}
_DETECT_LOCK = threading.Lock()


def detect(memory_mb: int = 256) -> Isolation:
    """The isolation this machine offers (probed once per process): bubblewrap
    must start a Python that cannot remount, has no network interface, has its
    own PID space and cannot write to the folders it sees."""
    with _DETECT_LOCK:
        if "found" in _DETECTED:
            return _DETECTED["found"]
        bwrap = shutil.which("bwrap")
        if bwrap is None or not sys.platform.startswith("linux"):
            found = Isolation(None, "", None, "bubblewrap (bwrap) is not installed")
        else:
            limits = _limits_available(memory_mb) or _private_tmpfs()
            found = Isolation(bwrap, limits, seccomp_filter())
            probe = [sys.executable, "-c", _PROBE, "/usr", sys.prefix, HOME + "/.."]
            try:
                done = found.run(probe, memory_mb, numpy_only=False, timeout=120)
                if done.stdout.strip() != "isolated":
                    why = (done.stderr.strip().splitlines() or ["no output"])[-1]
                    found = Isolation(
                        None, "", None, f"bubblewrap cannot start here ({why})"
                    )
            except (OSError, subprocess.SubprocessError) as error:
                found = Isolation(
                    None, "", None, f"bubblewrap cannot start here ({error})"
                )
        _DETECTED["found"] = found
        return found
