"""Benchmark search: build, query latency, cold start, edit-then-search, memory; bare Whoosh floor.

For each size N it generates a base (benchmarks/make_corpus.py, cached in --work), then
measures, each step in a fresh process so memory and cold start are honest:

- full index build (``kb index --rebuild``): seconds, claims/s, peak RSS;
- in-process query latency (``kb.search.searcher.run_search``, freshness check included), p50/p95
  over a fixed query mix;
- cold ``kb search`` wall time (a subprocess per run, median; and the worst query of the
  mix, one run each), beside the bare imports
  ``python -c "import typer, pydantic, whoosh.index, whoosh.qparser"``;
- edit one claim, then ``kb search`` (the incremental refresh included);
- the floor: bare Whoosh on the same fields (documents prepared beforehand, one writer,
  plain MultifieldParser), its build time and query latency.

The engine is the base's (``kb.yaml``, written by ``--engine``); the bare-Whoosh floor is
measured for Whoosh only.

Usage:
    python benchmarks/bench_search.py --sizes 1000,20000,100000 --engine whoosh
    python benchmarks/bench_search.py --sizes 20000 --engine tantivy
    python benchmarks/bench_search.py --sizes 1000 --bundled   # also the bundled base's cold start
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Cold starts are measured as an installed kb runs: with its bytecode cached.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
PYTHON = sys.executable
KB = [PYTHON, "-m", "kb.cli"] if not (Path(PYTHON).parent / "kb").exists() else [str(Path(PYTHON).parent / "kb")]
QUERIES = [
    "children missing from care", "sexual exploitation", "boys and young men", "convictions",
    "CSE place:england", "kind:statistic value:>=1000", "local authorities strategy", "trafficking",
    '"young people"', "prosecution year:[2008 TO 2011]", "grooming online", "police training",
    "topic:missing", "source:jago", "LSCB", "exploit*", "awarness~", "NOT place:uk health services",
]


def run_child(code: str, *args: str) -> tuple[dict, float]:
    """Run Python code in a fresh process; returns (its JSON output, peak RSS in MB)."""
    proc = subprocess.Popen([PYTHON, "-c", code, *args], stdout=subprocess.PIPE, cwd=ROOT, env=ENV)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    if status:
        raise SystemExit(f"child failed ({status}): {code[:80]}")
    return json.loads(out or b"{}"), usage.ru_maxrss / 1024


def wall(argv: list[str], runs: int) -> float:
    """Median wall time in ms of a command (output discarded)."""
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENV)  # warm up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT, env=ENV)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


BUILD = """
import json, sys, time
from pathlib import Path
from kb.search.engines import open_engine
root = Path(sys.argv[1])
t = time.perf_counter()
report = open_engine(root).build(rebuild=True)
print(json.dumps({"seconds": time.perf_counter() - t, "claims": report.claims}))
"""

QUERY = """
import json, sys, time
from pathlib import Path
from kb.search.searcher import run_search
root = Path(sys.argv[1]); queries = json.loads(sys.argv[2])
run_search(root, queries[0])  # open once: later calls measure steady state
times = []
for _ in range(3):
    for q in queries:
        t = time.perf_counter()
        run_search(root, q, limit=10)
        times.append((time.perf_counter() - t) * 1000)
times.sort()
print(json.dumps({"p50": times[len(times) // 2], "p95": times[int(len(times) * 0.95)]}))
"""

BARE = """
import json, sys, time, tempfile
from pathlib import Path
from whoosh.index import create_in
from whoosh import qparser
from kb.search.index import make_schema, claim_document, snapshot, TEXT_FIELDS
from kb.store.loader import load_claim_file
root = Path(sys.argv[1]); queries = json.loads(sys.argv[2])
docs = []
for rel in snapshot(root).files:
    claims, _, _ = load_claim_file(root / rel)
    docs += [claim_document(c, {})[0] for c in claims]
folder = tempfile.mkdtemp(prefix="bare-whoosh-")
ix = create_in(folder, make_schema())
t = time.perf_counter()
w = ix.writer(limitmb=256)
for d in docs:
    w.add_document(**d)
w.commit()
build = time.perf_counter() - t
parser = qparser.MultifieldParser(list(TEXT_FIELDS), ix.schema, group=qparser.OrGroup)
parser.add_plugin(qparser.GtLtPlugin())
times = []
with ix.searcher() as s:
    for _ in range(3):
        for q in queries:
            t = time.perf_counter()
            try:
                [h["id"] for h in s.search(parser.parse(q), limit=10)]
            except AssertionError:  # Whoosh's AndNot matcher trips on 'NOT a b' in a plain Or
                continue
            times.append((time.perf_counter() - t) * 1000)
times.sort()
import shutil; shutil.rmtree(folder)
print(json.dumps({"build": build, "claims": len(docs), "p50": times[len(times) // 2],
                  "p95": times[int(len(times) * 0.95)]}))
"""


def edit_one(root: Path, n: int) -> None:
    """Change one claim's statement in the first claim file (a new word each time)."""
    path = sorted((root / "claims").glob("*.yaml"))[0]
    text = path.read_text(encoding="utf-8")
    marker = "statement: In "
    i = text.index(marker)
    path.write_text(text[:i] + f"statement: Edited{n} In " + text[i + len(marker):], encoding="utf-8")


def bench(size: int, work: Path, runs: int, bare: bool, engine: str) -> dict:
    base = work / f"kb-{size}"
    if not (base / "claims").is_dir():
        subprocess.run([PYTHON, str(ROOT / "benchmarks" / "make_corpus.py"), "--claims", str(size), str(base)],
                       check=True)
    (base / "kb.yaml").write_text(f"engine: {engine}\n", encoding="utf-8")
    row: dict = {"engine": engine, "claims": size}
    build, rss = run_child(BUILD, str(base))
    row.update(build_s=build["seconds"], claims_per_s=size / build["seconds"], build_peak_mb=rss)
    latency, rss = run_child(QUERY, str(base), json.dumps(QUERIES))
    row.update(query_p50_ms=latency["p50"], query_p95_ms=latency["p95"], query_peak_mb=rss)
    row["cold_search_ms"] = wall(KB + ["--kb", str(base), "search", "children missing"], runs)
    row["cold_worst_of_mix_ms"] = max(wall(KB + ["--kb", str(base), "search", q], 1) for q in QUERIES)
    edits = []
    for n in range(3):
        edit_one(base, n + size)
        start = time.perf_counter()
        subprocess.run(KB + ["--kb", str(base), "search", f"edited{n + size}"], stdout=subprocess.DEVNULL,
                       check=True, env=ENV)
        edits.append((time.perf_counter() - start) * 1000)
    row["edit_then_search_ms"] = statistics.median(edits)
    if bare and engine == "whoosh":
        floor, rss = run_child(BARE, str(base), json.dumps(QUERIES))
        row.update(bare_build_s=floor["build"], bare_p50_ms=floor["p50"], bare_p95_ms=floor["p95"],
                   bare_peak_mb=rss)
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,20000,100000", help="claim counts, comma-separated")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "kb-bench",
                        help="where generated bases are kept between runs")
    parser.add_argument("--runs", type=int, default=7, help="subprocess runs per cold-start figure")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare-Whoosh floor")
    parser.add_argument("--bundled", action="store_true", help="also time cold kb search on the bundled base")
    parser.add_argument("--engine", choices=("whoosh", "tantivy"), default="whoosh",
                        help="the search engine the generated bases use (written to their kb.yaml)")
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    imports = wall([PYTHON, "-c", "import typer, pydantic, whoosh.index, whoosh.qparser"], args.runs)
    print(f"bare imports (typer, pydantic, whoosh.index, whoosh.qparser): {imports:.0f} ms")
    if args.bundled:
        subprocess.run(KB + ["index"], stdout=subprocess.DEVNULL, check=True)
        cold = wall(KB + ["search", "children missing"], args.runs)
        print(f"cold kb search, bundled base: {cold:.0f} ms ({cold / imports:.2f}x the bare imports)")
    for size in (int(s) for s in args.sizes.split(",")):
        row = bench(size, args.work, args.runs, not args.no_bare, args.engine)
        print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
