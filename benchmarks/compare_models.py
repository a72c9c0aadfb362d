"""Compare a candidate model with the shipped one on the same comments, with paired 95% intervals.

Each row is a figure a decision rule reads (docs/model-history.md): the seed
table, F1 and hard-negative false positives on our test split and on the blind
batches asked for, the `abusive` ROC AUC on the held-out Fox News threads and the
Globe and Mail comments, toxigen's worst group and the BBC sentences flagged. The
difference is candidate minus base; its 95% interval comes from 1,000 Poisson
bootstrap rounds that weigh each comment once for both models
(moderation/training/compare.py), and "beyond chance" marks a difference whose
interval leaves out 0.

    .venv/bin/python benchmarks/compare_models.py --candidate /tmp/model [--base models] \\
        [--blind 11,12] [--data ../shared/data] [--json out.json]

Blind batches are measured only when named: a batch kept for judging (the newest
ones, data/README.md) should be named only by the rule that spends it. About a
minute on two cores with the news data.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from moderation.training.paths import default_data_dir

REPO = Path(__file__).resolve().parent.parent


def _batches(value: str) -> list[int]:
    try:
        out = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--blind takes batch numbers separated by commas (11,12), not {value!r}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=__doc__.split("\n\n", 1)[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidate", required=True, type=Path, help="the candidate model's directory")
    parser.add_argument("--base", type=Path, default=REPO / "models", help="the model to compare with [models/]")
    parser.add_argument("--blind", type=_batches, default=[], help="blind batches to measure, e.g. 11,12 [none]")
    parser.add_argument("--data", type=Path, default=default_data_dir(),
                        help="the public data sets [$MODERATION_DATA, else ../shared/data]; without them, our own sets only")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)

    from moderation.model import ModelError, load_model
    from moderation.training.compare import compare, render
    from moderation.training.data import BLIND_SETS

    bad = [n for n in args.blind if not 1 <= n <= len(BLIND_SETS)]
    if bad:
        parser.error(f"--blind: no batch {bad[0]} (there are {len(BLIND_SETS)})")
    try:
        base, candidate = load_model(args.base), load_model(args.candidate)
    except ModelError as exc:
        parser.error(str(exc))
    data = args.data if args.data.is_dir() else None
    if data is None:
        print(f"note: {args.data} not found: our own labelled sets only", file=sys.stderr)
    rows = compare(base, candidate, data, repo=REPO, blind=args.blind, log=lambda m: print(m, file=sys.stderr))
    print(render(rows, base.version, candidate.version))
    if args.json:
        args.json.write_text(json.dumps({"base": base.version, "candidate": candidate.version, "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
