"""``python -m convbn.experiments claims --seeds 5 --out FILE``: chapter 9's runs.

Runs :func:`convbn.experiments.run_seed` for seeds 0 .. N-1 (or the seeds listed
with ``--seed``) and writes the results file the chapter reads (by default
``chapters/09_bn_in_practice/claims.json``). On two CPU cores one seed takes about
ten minutes; ``--parts figure1 dropout`` re-runs only those measurements and updates
them in the existing file.
"""

from __future__ import annotations

import argparse
import sys

from .multiseed import PARTS, RESULTS, run_seeds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m convbn.experiments",
        description="Run chapter 9's seeded measurements and write the results file.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    claims = sub.add_parser("claims", help="the claims table's runs, over seeds")
    claims.add_argument("--seeds", type=int, default=5, help="seeds 0 .. N-1 (5)")
    claims.add_argument("--seed", type=int, action="append", help="these seeds instead")
    claims.add_argument("--out", default=RESULTS, help=f"the JSON file ({RESULTS})")
    claims.add_argument(
        "--parts",
        nargs="+",
        choices=PARTS,
        help="re-run only these parts and update them in --out (which must exist)",
    )
    args = parser.parse_args(argv)
    seeds = args.seed if args.seed else list(range(args.seeds))
    if len(seeds) < 2:
        parser.error(f"--seeds needs at least 2 seeds, got {len(seeds)}")
    run_seeds(
        seeds,
        args.out,
        parts=args.parts,
        progress=lambda line: print(line, file=sys.stderr),
    )
    print(f"wrote {args.out} ({len(seeds)} seeds)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
