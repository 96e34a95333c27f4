"""A similarity report of a graded class: copied code, for a person to judge.

    python -m convbn.homework grade CHAPTER PATH... --similarity report.html
    python -m convbn.homework grade CHAPTER PATH... --similarity pairs.csv

The grader cannot tell a solution written by the student from one copied as text:
from another student, from the chapter's reference solutions (public, in this
repository's master notebooks) or from ``convbn``'s own source (also public). This
module hands that question to `copydetect <https://github.com/blingenf/copydetect>`_
(the winnowing fingerprints of Stanford's MOSS): each submission's code cells
become one Python file, compared with every other submission, with the reference
solutions and with ``convbn``'s top-level modules; the code the student version
hands out (the prompts and the set-up cells) is boilerplate and does not count.

What it reports is a *similarity*, the share of a file's fingerprints found in the
other file, not a verdict: short exercises have few ways to be written, and two
honest answers of ten lines can share much. A pair above the threshold is a
reason to read both, no more; a pair below it is no proof of independent work
(renamed variables and reordered lines lower the score, and code written from a
shared explanation is not copied code).
"""

from __future__ import annotations

import csv
import re
import tempfile
from pathlib import Path

from convbn_tools.gradebook import Graded, _cell, _source, feedback_names, master_code

__all__ = ["THRESHOLD", "write_report", "boilerplate"]

#: The share of a submission's fingerprints found in the other file above which a
#: pair is reported (copydetect's own default).
THRESHOLD = 0.33
_REFERENCE = "reference-solutions"


def boilerplate(master: str | Path) -> str:
    """The code the student version of ``master`` hands out: the master's code
    without what otter strips (``# BEGIN SOLUTION`` ... ``# END SOLUTION`` and
    lines that end with ``# SOLUTION``)."""
    lines, inside = [], False
    for source in master_code(master):
        for line in source.splitlines():
            mark = line.strip()
            if mark.startswith("# BEGIN SOLUTION"):
                inside = True
            elif mark == "# END SOLUTION":
                inside = False
            elif not inside and not line.rstrip().endswith("# SOLUTION"):
                lines.append(line)
    return "\n".join(lines) + "\n"


def _submission_code(path: Path) -> str:
    import json

    from convbn_tools.grading import _read_notebook

    try:
        cells = json.loads(_read_notebook(path))["cells"]
        return "\n\n".join(
            _source(c)
            for c in cells
            if isinstance(c, dict) and c.get("cell_type") == "code"
        )
    except Exception:  # unreadable: graded zero, and nothing to compare here
        return ""


def write_report(results: list[Graded], master: str | Path, target: str | Path) -> int:
    """Compare the submissions of ``results`` with each other, the reference
    solutions of ``master`` and ``convbn``'s top-level modules; write ``target``
    (``.html``: copydetect's report, side by side; ``.csv``: one row per pair).
    Returns the number of pairs above :data:`THRESHOLD`."""
    from copydetect import CopyDetector

    import convbn

    target = Path(target)
    if target.suffix.lower() not in (".html", ".csv"):
        raise ValueError(f"--similarity must name an .html or .csv file, got {target}")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="convbn-similarity-") as folder:
        folder = Path(folder)
        mine, refs, boiler = (
            folder / "submissions",
            folder / "references",
            folder / "boilerplate",
        )
        for made in (mine, refs, boiler):
            made.mkdir()
        labels = {}
        for graded, name in zip(results, feedback_names(results), strict=True):
            file = mine / (name[:-4] + ".py")
            file.write_text(_submission_code(graded.path), encoding="utf-8")
            labels[str(file)] = graded.label
        (refs / f"{_REFERENCE}.py").write_text("\n\n".join(master_code(master)))
        labels[str(refs / f"{_REFERENCE}.py")] = "the reference solutions"
        package = Path(convbn.__file__).parent
        for module in sorted(package.glob("*.py")):
            copy = refs / f"convbn.{module.stem}.py"
            copy.write_text(module.read_text(encoding="utf-8"), encoding="utf-8")
            labels[str(copy)] = f"convbn/{module.name}"
        (boiler / "student-version.py").write_text(
            boilerplate(master), encoding="utf-8"
        )
        detector = CopyDetector(
            test_dirs=[str(mine)],
            ref_dirs=[str(mine), str(refs)],
            boilerplate_dirs=[str(boiler)],
            extensions=["py"],
            display_t=THRESHOLD,
            autoopen=False,
            silent=True,
            out_file=str(target)
            if target.suffix.lower() == ".html"
            else str(folder / "r.html"),
        )
        detector.run()
        pairs = detector.get_copied_code_list()
        if target.suffix.lower() == ".html":
            detector.generate_html_report()
            _relabel(target, labels)
        else:
            with open(target, "w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(
                    ["file", "similar_to", "share_of_file", "share_of_other", "tokens"]
                )
                for share, other_share, file, other, _, _, tokens in pairs:
                    writer.writerow(
                        [
                            _cell(labels.get(str(file), Path(file).name)),
                            _cell(labels.get(str(other), Path(other).name)),
                            f"{share:.2f}",
                            f"{other_share:.2f}",
                            int(tokens),
                        ]
                    )
    return len(pairs)


def _relabel(report: Path, labels: dict[str, str]) -> None:
    """Name the files in the HTML report as the gradebook does, not by the
    temporary paths they were compared under."""
    import html

    text = report.read_text(encoding="utf-8")
    for path, label in sorted(labels.items(), key=lambda item: -len(item[0])):
        text = text.replace(path, html.escape(label))
    report.write_text(
        re.sub(r"/tmp/convbn-similarity-\w+/", "", text), encoding="utf-8"
    )
