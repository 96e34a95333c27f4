"""Time and peak memory of every notebook, each in a fresh kernel.

    python benchmarks/notebooks.py                 # every notebook in _toc.yml order
    python benchmarks/notebooks.py chapters/06_pooling/index.ipynb ...
    python benchmarks/notebooks.py --json _build/notebook_budget.json

Each notebook runs top to bottom in a new kernel started from its own folder (as the
book build runs it). Wall time is from the kernel's start to the last cell's end;
memory is the kernel process's peak resident set size (Linux ``VmHWM``), read after
every cell. The budget (DESIGN.md) is 90 s and 1.5 GB per notebook on 2 cores,
since Binder gives 2 GB; the script exits with 1 if a notebook is over it or fails.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from convbn_tools import kernel_poll

ROOT = Path(__file__).resolve().parents[1]
BUDGET_SECONDS = 90.0
BUDGET_BYTES = 1.5 * 2**30


def peak_rss(pid: int) -> int:
    """The peak resident set size of process ``pid`` in bytes (0 if unknown)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def notebooks_in_toc() -> list[Path]:
    """Every notebook the table of contents lists, in reading order."""
    import yaml

    found: list[Path] = []

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                for suffix in (".ipynb", ""):
                    path = ROOT / (node["file"] + suffix)
                    if path.suffix == ".ipynb" and path.exists():
                        found.append(path)
                        break
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(yaml.safe_load((ROOT / "_toc.yml").read_text()))
    return found


def measure(path: Path, timeout: int = 600) -> dict:
    """Execute ``path`` in a fresh kernel; its wall time, peak memory and status."""
    nb = nbformat.read(path, as_version=4)
    peak = {"bytes": 0}
    client = NotebookClient(
        nb, timeout=timeout, resources={"metadata": {"path": str(path.parent)}}
    )

    def after_cell(**_):
        peak["bytes"] = max(peak["bytes"], peak_rss(client.km.provisioner.pid))

    client.on_cell_executed = after_cell
    start = time.perf_counter()
    error = None
    try:
        client.execute()
    except Exception as exc:  # report every notebook, then fail at the end
        error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1][:200]}"
    seconds = time.perf_counter() - start
    return {
        "notebook": str(path.relative_to(ROOT)),
        "seconds": round(seconds, 1),
        "peak_mb": round(peak["bytes"] / 2**20),
        "ok": error is None
        and seconds <= BUDGET_SECONDS
        and peak["bytes"] <= BUDGET_BYTES,
        "error": error,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--json", type=Path, help="also write the rows here")
    options = parser.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("MPLBACKEND", "Agg")
    kernel_poll.patch()
    paths = [p.resolve() for p in options.notebooks] or notebooks_in_toc()
    header = f"{'notebook':52s} {'seconds':>8s} {'peak MB':>8s}  within budget"
    print(header, flush=True)
    rows = []
    for path in paths:
        row = measure(path)
        rows.append(row)
        verdict = "yes" if row["ok"] else f"NO {row['error'] or ''}"
        name, seconds, peak_mb = row["notebook"], row["seconds"], row["peak_mb"]
        print(f"{name:52s} {seconds:8.1f} {peak_mb:8d}  {verdict}", flush=True)
    total = sum(row["seconds"] for row in rows)
    worst = max((row["peak_mb"] for row in rows), default=0)
    print(f"{len(rows)} notebooks, {total:.0f} s in all, largest peak {worst} MB")
    print(f"budget: {BUDGET_SECONDS:.0f} s and {BUDGET_BYTES / 2**30:.1f} GB each")
    if options.json:
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(rows, indent=1))
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
