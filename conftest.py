"""Suite-wide test setup (loaded for tests/ and for the notebooks nbval runs).

Notebooks run in Jupyter kernels, which talk to pytest over ZeroMQ sockets on
127.0.0.1. A machine with no network still has its loopback interface; the strict
check ``unshare -n python -m pytest`` gives the run a private network namespace whose
loopback starts *down*. When that is the case (and we have the right to, as root in
that private namespace), bring the namespace's own loopback up: it reaches nothing
outside this process tree, so the run stays fully offline.
"""

import fcntl
import os
import socket
import struct

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _loopback_works() -> bool:
    try:
        with socket.socket() as server:
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            with socket.create_connection(server.getsockname(), timeout=2):
                return True
    except OSError:
        return False


def _bring_loopback_up() -> None:
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, siocgifflags, request))[1]
        fcntl.ioctl(sock, siocsifflags, struct.pack("16sH22x", b"lo", flags | iff_up))


if not _loopback_works():
    try:
        _bring_loopback_up()
    except OSError as error:
        raise RuntimeError(
            "127.0.0.1 is unreachable, so Jupyter kernels cannot start, and the "
            f"loopback interface could not be brought up ({error}). Run the tests with "
            "a working loopback, e.g. unshare -n sh -c 'ip link set lo up && python -m "
            "pytest'."
        ) from error
