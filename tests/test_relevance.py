"""Relevance on the bundled base: researcher questions must find the right claims in the top 5.

The questions and what they must find are in tests/data/relevance.yaml (by distinctive
substring, resolved to claim ids here, because the bundled base is still renumbered).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kb.search.searcher import search_ids
from kb.store.loader import load_kb

DATA = Path(__file__).resolve().parent / "data" / "relevance.yaml"
GOAL = 0.9  # the target
K = 5


def expected_ids(kb, expectation: str | list[str]) -> set[str]:
    """Claims whose statement or quote holds the substring (or any of a list of them)."""
    needles = [expectation] if isinstance(expectation, str) else expectation
    return {c.id for c in kb.claims.values() for needle in needles
            if needle.lower() in c.statement.lower() or needle.lower() in c.quote_text.lower()}


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_recall_at_5(bundled_kb: Path, engine: str, capsys: pytest.CaptureFixture[str]) -> None:
    cases = yaml.safe_load(DATA.read_text(encoding="utf-8"))["queries"]
    assert len(cases) >= 30
    kb = load_kb(bundled_kb)
    unresolved = [(c["query"], s) for c in cases for s in c["expect"] if not expected_ids(kb, s)]
    assert not unresolved, f"expectations that match no claim (update relevance.yaml): {unresolved}"
    found = total = 0
    misses = []
    by_set: dict[str, list[int]] = {}  # optional `set: tuning | held-out` per question
    for case in cases:
        top = search_ids(bundled_kb, case["query"], limit=K, engine=engine)
        for substring in case["expect"]:
            total += 1
            tally = by_set.setdefault(str(case.get("set", "all")), [0, 0])
            tally[1] += 1
            if expected_ids(kb, substring) & set(top):
                found += 1
                tally[0] += 1
            else:
                misses.append(f"{case['query']!r} -> {substring!r} (top {K}: {top})")
    recall = found / total
    with capsys.disabled():
        print(f"\n{engine}: recall@{K} on {len(cases)} researcher queries: {recall:.3f} ({found}/{total}); "
              f"target {GOAL}")
        if len(by_set) > 1:
            print("  " + "; ".join(f"{name}: {hit}/{n}" for name, (hit, n) in sorted(by_set.items())))
        for miss in misses:
            print(f"  missed: {miss}")
    assert recall >= GOAL, f"recall@{K} {recall:.3f} < {GOAL}"
