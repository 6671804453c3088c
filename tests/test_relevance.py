"""Relevance on the bundled base: researcher questions must find the right claims in the top 5.

The questions and what they must find are in tests/data/relevance.yaml (by distinctive
substring, resolved to claim ids here, because the bundled base is still renumbered). Each
question belongs to a set: ``tuning`` (weights and scales are tuned on it) or ``held-out``
(never looked at while tuning); recall@5 must reach the goal on each set separately, on
both engines. ``python -m pytest tests/test_relevance.py -s`` prints the figures.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kb.search.searcher import search_ids
from kb.store.loader import load_kb

DATA = Path(__file__).resolve().parent / "data" / "relevance.yaml"
GOAL = 0.9  # the target, on each set
K = 5
SETS = ("tuning", "held-out")


def expected_ids(kb, expectation: str | list[str]) -> set[str]:
    """Claims whose statement or quote holds the substring (or any of a list of them)."""
    needles = [expectation] if isinstance(expectation, str) else expectation
    return {c.id for c in kb.claims.values() for needle in needles
            if needle.lower() in " ".join(c.statement.split()).lower() or needle.lower() in c.quote_text.lower()}


def load_cases() -> list[dict]:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))["queries"]


def test_sets_are_valid() -> None:
    cases = load_cases()
    bad = [c["query"] for c in cases if c.get("set") not in SETS]
    assert not bad, f"questions without a valid set ({' or '.join(SETS)}): {bad}"
    for name in SETS:
        assert any(c["set"] == name for c in cases), f"the {name} set is empty"


@pytest.mark.parametrize("engine", ["whoosh", "tantivy"])
def test_recall_at_5(bundled_kb: Path, engine: str, capsys: pytest.CaptureFixture[str]) -> None:
    cases = load_cases()
    assert len(cases) >= 80
    kb = load_kb(bundled_kb)
    unresolved = [(c["query"], s) for c in cases for s in c["expect"] if not expected_ids(kb, s)]
    assert not unresolved, f"expectations that match no claim (update relevance.yaml): {unresolved}"
    tally = {name: [0, 0] for name in SETS}
    misses: dict[str, list[str]] = {name: [] for name in SETS}
    for case in cases:
        top = search_ids(bundled_kb, case["query"], limit=K, engine=engine)
        for substring in case["expect"]:
            tally[case["set"]][1] += 1
            if expected_ids(kb, substring) & set(top):
                tally[case["set"]][0] += 1
            else:
                misses[case["set"]].append(f"{case['query']!r} -> {substring!r} (top {K}: {top})")
    with capsys.disabled():
        for name in SETS:
            hit, n = tally[name]
            print(f"\n{engine}: recall@{K} on the {name} set ({sum(c['set'] == name for c in cases)} "
                  f"questions): {hit / n:.3f} ({hit}/{n}); target {GOAL}", end="")
            for miss in misses[name]:
                print(f"\n  missed ({name}): {miss}", end="")
        print()
    failed = [f"{name}: recall@{K} {tally[name][0] / tally[name][1]:.3f} < {GOAL}; missed:\n  "
              + "\n  ".join(misses[name]) for name in SETS if tally[name][0] / tally[name][1] < GOAL]
    assert not failed, f"{engine}: " + "\n".join(failed)
