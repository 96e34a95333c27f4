"""Figures, tables and equations numbered per chapter, "Fig. 3.2", "(3.4)" (Sphinx).

Sphinx numbers figures and equations by section only under a ``:numbered:`` toctree;
otherwise it counts them across the whole book ("Fig. 35"). Numbering the book's
parts in ``_toc.yml`` does not give the chapters their own numbers either: with
several numbered parts Sphinx restarts at 1 in each part, and sphinx-multitoc-numbering
(which Jupyter Book turns on) continues across parts but counts every top-level page,
so the Keras primer before chapter 3 would become chapter 3 and cross-correlation
chapter 4; the chapter titles, which carry their number ("3. Cross-correlation"),
would also be numbered twice.

So the chapter number comes from where the page lives, the folder the course is laid
out in: every page of ``chapters/03_cross_correlation/`` belongs to chapter 3, every
page of ``chapters/appendix/`` to appendix "A". After Sphinx has counted (the
``env-get-updated`` event), each figure type's numbers are renumbered within each
chapter, in reading order: the third figure of chapter 3, wherever in the chapter's
pages it stands, is "Fig. 3.3", and its equations are (3.1), (3.2), ... Cross-
references (``{numref}``, ``{eq}``) and captions read the same numbers. Pages outside
``chapters/`` (the introduction) keep Sphinx's own count. An unnumbered page read
before a chapter's lesson, as the Keras primer before chapter 3's, must number
nothing: its first figure would be "Fig. 3.1".

Listed in ``_config.yml`` under ``sphinx: extra_extensions`` (as
``convbn_tools.numbering``).
"""

from __future__ import annotations

import copy
import re

#: ``chapters/<NN>_<topic>/...`` -> chapter NN; ``chapters/appendix/...`` -> "A".
CHAPTER = re.compile(r"^chapters/(?:(\d+)_[^/]+|(appendix))/")

Numbers = dict[str, dict[str, dict[str, tuple]]]


def chapter_of(docname: str) -> int | str | None:
    """The chapter a page belongs to, from its folder; None outside ``chapters/``.

    >>> chapter_of("chapters/03_cross_correlation/exercises"), chapter_of("intro")
    (3, None)
    """
    if not isinstance(docname, str):
        raise TypeError(f"docname must be a str, got {type(docname).__name__}")
    match = CHAPTER.match(docname)
    if match is None:
        return None
    return int(match[1]) if match[1] else "A"


def per_chapter(fignumbers: Numbers) -> Numbers:
    """Sphinx's ``env.toc_fignumbers`` with every number restarted in each chapter.

    ``fignumbers`` maps a page to its figure types ("figure", "table",
    "displaymath", ...), each mapping an element id to its number, a tuple such as
    ``(35,)``; numbers that count in reading order, as Sphinx's do. The result has
    the same keys; a page of a chapter gets ``(chapter, k)`` for the k-th element of
    that type in the chapter; a page outside ``chapters/`` keeps its numbers.

    >>> pages = {"chapters/03_x/index": {"figure": {"a": (7,), "b": (8,)}},
    ...          "chapters/04_y/index": {"figure": {"c": (9,)}}}
    >>> numbered = per_chapter(pages)
    >>> numbered["chapters/03_x/index"], numbered["chapters/04_y/index"]
    ({'figure': {'a': (3, 1), 'b': (3, 2)}}, {'figure': {'c': (4, 1)}})
    """
    if not isinstance(fignumbers, dict):
        raise TypeError(
            f"fignumbers must be a dict (env.toc_fignumbers), "
            f"got {type(fignumbers).__name__}"
        )
    result = copy.deepcopy(fignumbers)
    # (chapter, figure type) -> [(old number, page, id)], sorted into reading order.
    groups: dict[tuple, list] = {}
    for docname, types in fignumbers.items():
        chapter = chapter_of(docname)
        if chapter is None:
            continue
        for figtype, numbers in types.items():
            for node_id, number in numbers.items():
                group = groups.setdefault((chapter, figtype), [])
                group.append((tuple(number), docname, node_id))
    for (chapter, figtype), members in groups.items():
        for rank, (_, docname, node_id) in enumerate(sorted(members), start=1):
            result[docname][figtype][node_id] = (chapter, rank)
    return result


class _Renumber:
    """The two ``env-get-updated`` listeners: remember, then renumber."""

    def __init__(self):
        self.before: Numbers = {}

    def remember(self, app, env) -> list[str]:
        # Before Sphinx's toctree collector recounts: the numbers the pages were
        # last written with.
        self.before = copy.deepcopy(env.toc_fignumbers)
        return []

    def renumber(self, app, env) -> list[str]:
        env.toc_fignumbers = per_chapter(env.toc_fignumbers)
        # Pages whose numbers changed since they were last written are written again.
        return sorted(
            docname
            for docname in set(env.toc_fignumbers) | set(self.before)
            if env.toc_fignumbers.get(docname) != self.before.get(docname)
        )


def setup(app):
    listeners = _Renumber()
    # Sphinx's collector counts at the default priority, 500.
    app.connect("env-get-updated", listeners.remember, priority=400)
    app.connect("env-get-updated", listeners.renumber, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
