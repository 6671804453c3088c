"""Precision and recall of `kb links suggest` against the labelled pairs, and its time.

Usage:
    python benchmarks/links_precision.py                 # the bundled base, tests/data/links-gold.yaml
    python benchmarks/links_precision.py DIR GOLD.yaml   # another base and its labels

A suggested pair that is not labelled counts as wrong (precision is a floor) and is listed.
Links the base records are set aside first: the pairs were labelled before any was recorded.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

from kb.provenance.links import DEFAULT_MIN_SCORE, suggest_repeats
from kb.store.loader import load_kb

THRESHOLDS = (90, 85, 80, 77, 75, 70, 65, 60)


def main() -> None:
    root = sys.argv[1] if len(sys.argv) > 1 else None
    gold_path = Path(sys.argv[2]) if len(sys.argv) > 2 else Path(__file__).resolve().parent.parent / "tests/data/links-gold.yaml"
    labels = {frozenset((p["a"], p["b"])): p["repeats"] for p in yaml.safe_load(gold_path.read_text())["pairs"]}
    repeats = sum(labels.values())
    kb = load_kb(root)
    # as labelled: without the links recorded since (a linked pair is not suggested)
    kb.claims = {cid: claim.model_copy(update={"links": []}) for cid, claim in kb.claims.items()}
    start = time.perf_counter()
    suggest_repeats(kb)
    took = time.perf_counter() - start
    every = suggest_repeats(kb, min_score=min(THRESHOLDS))
    print(f"{kb.root}: {len(kb.claims)} claims; {len(labels)} labelled pairs, {repeats} repeats; "
          f"suggest at the default {DEFAULT_MIN_SCORE:g}: {took:.2f} s")
    print("min-score  suggested  repeats  unlabelled  precision  recall")
    for cut in THRESHOLDS:
        got = [s for s in every if s.score >= cut]
        right = sum(1 for s in got if labels.get(frozenset((s.a, s.b))))
        unlabelled = [s for s in got if frozenset((s.a, s.b)) not in labels]
        precision = right / len(got) if got else float("nan")
        print(f"{cut:>9}  {len(got):>9}  {right:>7}  {len(unlabelled):>10}  {precision:>9.2f}  {right / repeats:>6.2f}")
    for s in (s for s in every if frozenset((s.a, s.b)) not in labels):
        print(f"unlabelled: {s.score:.1f} {s.a} {s.b}")


if __name__ == "__main__":
    main()
