"""convbn_tools: the book's and the instructor's tooling, kept out of ``convbn``.

Students import ``convbn``; nothing here is for them, and no notebook imports it:

* :mod:`convbn_tools.kernel_poll` -- a patch of jupyter_client's asyncio channel
  so that notebook execution cannot stall on a lost ZeroMQ wake-up (a Sphinx
  extension too);
* :mod:`convbn_tools.book_assets` -- a Sphinx extension that serves MathJax,
  RequireJS and the widget manager from ``package.json``, not from CDNs;
* :mod:`convbn_tools.numbering` -- a Sphinx extension that numbers figures and
  equations per chapter ("Fig. 3.2", "(3.4)");
* :mod:`convbn_tools.homework` -- student versions, autograders and grading
  (``python -m convbn.homework``, ``convbn-homework``);
* :mod:`convbn_tools.otter` -- otter-grader's command line with the patch applied
  (``python -m convbn_tools.otter assign ...``);
* :mod:`convbn_tools.colab` -- the Colab cell at the top of every notebook, written
  from ``_config.yml``'s repository URL (``python -m convbn_tools.colab``).

Why a package and not a Jupyter Book ``local_extensions`` folder: the book build
(Sphinx) and the homework command (otter, in a process of its own) both need the
kernel-message patch. A ``local_extensions`` folder is put on ``sys.path`` by
Sphinx only, so otter's process could not import it; a package installed with
``convbn`` (same distribution, ``pip install -e .``) is importable by both, and by
the tests.
"""
