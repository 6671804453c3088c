"""Benchmark the query-meaning helpers: thesaurus load, spelling suggestions, intent.

- thesaurus: ``import kb.search.thesaurus`` + ``load_thesaurus()`` timed inside a fresh
  process after ``import kb.cli`` (what every ``kb search`` imports), once with an empty
  cache (YAML read and validated, cache written) and then with the cache warm (JSON, no
  PyYAML import), median of --runs;
- spelling: ``suggest_words`` on a 10-word query with misspellings against a word list
  (default: the bundled base's words, as the index's words.txt holds them), first call
  (imports and the stem table) and then the median of repeated calls, plus a query of
  ten 30-letter junk words;
- intent: ``detect_intent`` per question (median over a fixed question mix);
- longest queries: ``run_search`` on a copy of the bundled base (whoosh and tantivy, index
  warm) for 999-character queries built to make the meaning work heavy (a question said
  over and over, every thesaurus term, an OR of thesaurus entries, random junk words,
  misspellings), the slowest of --runs each; the goal is under a second.

Usage:
    python benchmarks/bench_meaning.py [--runs 7] [--words index/g-*/words.txt]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUERY = "how many sexualy exploted childern went misssing from care in scotlnd and wales"
QUESTIONS = ["how many people were convicted", "what should schools do", "who are the perpetrators",
             "what is child sexual exploitation", "when was the action plan published", "grooming online"]


LOAD = """
import time, kb.cli
started = time.perf_counter()
import kb.search.thesaurus as t
t.load_thesaurus()
print((time.perf_counter() - started) * 1000)
"""


def fresh(env: dict[str, str]) -> float:
    """Import + load of the thesaurus, timed inside a fresh process after ``import kb.cli``."""
    done = subprocess.run([sys.executable, "-c", LOAD], check=True, env=env, cwd=ROOT, capture_output=True, text=True)
    return float(done.stdout)


def bundled_words() -> list[str]:
    from kb.search.spelling import claim_words
    from kb.store.loader import load_kb

    return claim_words(load_kb(ROOT).claims.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--words", type=Path, help="a words.txt of an index (default: the bundled base's words)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": cache}
        cold = fresh(env)
        warm = statistics.median(fresh(env) for _ in range(args.runs))
    print(f"thesaurus: import+load after 'import kb.cli', empty cache {cold:.1f} ms; "
          f"warm cache {warm:.1f} ms (median of {args.runs})")

    from kb.search.spelling import suggest_words

    known = args.words.read_text(encoding="utf-8").split() if args.words else bundled_words()
    words = QUERY.split()[:10]
    started = time.perf_counter()
    found = suggest_words(words, known)
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(50):
        started = time.perf_counter()
        suggest_words(words, known)
        times.append((time.perf_counter() - started) * 1000)
    junk = ["q" * 30 + str(i) for i in range(10)]
    started = time.perf_counter()
    suggest_words([w.rstrip("0123456789") for w in junk], known)
    junk_ms = (time.perf_counter() - started) * 1000
    print(f"spelling: {len(known)} known words; 10-word query first call {first:.1f} ms, "
          f"then median {statistics.median(times):.2f} ms, max {max(times):.2f} ms; "
          f"ten 30-letter junk words {junk_ms:.2f} ms; suggestions {found}")

    from kb.search.intent import detect_intent

    per = []
    for _ in range(200):
        for question in QUESTIONS:
            started = time.perf_counter()
            detect_intent(question)
            per.append((time.perf_counter() - started) * 1e6)
    print(f"intent: median {statistics.median(per):.1f} µs per question")
    longest_queries(args.runs)


def heavy_queries() -> dict[str, str]:
    import random

    import yaml

    groups = yaml.safe_load((ROOT / "kb" / "data" / "thesaurus.yaml").read_text(encoding="utf-8"))["groups"]
    r = random.Random(1)
    junk = " ".join("".join(r.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(r.randint(4, 12)))
                    for _ in range(120))
    return {
        "a question over and over": " ".join(["how many children go missing devolved nations who are the perpetrators"]
                                             * 20),
        "every thesaurus term": " ".join(str(t) for g in groups for t in g),
        "an OR of thesaurus entries": " OR ".join(str(g[0]) for g in groups),
        "random junk words": junk,
        "misspellings": "sexualy exploitd childern missng convictd perpetraters " * 30,
    }


def longest_queries(runs: int) -> None:
    import shutil

    from kb.search.searcher import run_search

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "kb"
        shutil.copytree(ROOT, root, ignore=lambda d, names: [n for n in names if n not in (
            "claims", "sources", "references.bib", "vocabulary.yaml", "kb.yaml", "thesaurus.yaml")]
            if Path(d) == ROOT else [])
        for engine in ("whoosh", "tantivy"):
            run_search(root, "warm", engine=engine)
            for name, query in heavy_queries().items():
                times = []
                for _ in range(runs):
                    started = time.perf_counter()
                    run_search(root, query[:999], engine=engine)
                    times.append((time.perf_counter() - started) * 1000)
                print(f"longest queries ({engine}): {name}: slowest {max(times):.0f} ms, "
                      f"median {statistics.median(times):.0f} ms")


if __name__ == "__main__":
    main()
