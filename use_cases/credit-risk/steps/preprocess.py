"""Preprocessing step of the credit-risk pipeline (a SageMaker processing job).

Reads the credit applications (every CSV under ``/opt/ml/processing/input/raw``), checks the
label and the protected facet are there, and splits them stratified on the label into a training
set and a held-out test set (``--holdout`` of the rows, ``--seed``): the same split the kit's
``mlgov seed`` makes of the same table. Both keep every column, the facet ``age_group`` included:
training chooses its features, evaluation measures bias on the facet.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from sklearn.model_selection import train_test_split

RAW = Path("/opt/ml/processing/input/raw")
OUTPUT = Path("/opt/ml/processing/output")
LABEL = "good_credit"
FACET = "age_group"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--holdout", type=float, default=0.25, help="share of rows held out for evaluation")
    parser.add_argument("--seed", type=int, default=0, help="random state of the split")
    args = parser.parse_args(argv)
    files = sorted(RAW.rglob("*.csv"))
    if not files:
        print(f"no CSV file under {RAW}", file=sys.stderr)
        return 1
    frame = pd.concat([pd.read_csv(path) for path in files], ignore_index=True)
    missing = [column for column in (LABEL, FACET) if column not in frame.columns]
    if missing:
        print(
            f"the data has no column {', '.join(missing)} (columns: {', '.join(frame.columns)})",
            file=sys.stderr,
        )
        return 1
    train, test = train_test_split(
        frame, test_size=args.holdout, stratify=frame[LABEL], random_state=args.seed
    )
    for name, part in (("train", train), ("test", test)):
        target = OUTPUT / name
        target.mkdir(parents=True, exist_ok=True)
        part.to_csv(target / f"{name}.csv", index=False)
    print(f"{len(frame)} rows from {len(files)} file(s): {len(train)} for training, {len(test)} held out")
    print(
        f"label share (training): {train[LABEL].mean():.4f}; facet {FACET}: {dict(train[FACET].value_counts())}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
