"""Time and peak memory of `kb stats` and `kb verify` on ONE big claims file (issue 13).

The goal: one claims file of ~50 MB (~130k claims) read by `kb stats` and checked by
`kb verify` within 30 s and 1 GB each: loading must be linear in the file's size. The
file is generated with benchmarks/make_corpus.py's claim generator (the report's own
sentences, numbers varied) into a single file of one document whose text holds every
quote.

Usage:
    python benchmarks/bench_load.py                     # 130,000 claims in a temporary base
    python benchmarks/bench_load.py --claims 20000 --keep /tmp/kb-one-file
    python benchmarks/bench_load.py --keep /tmp/kb-one-file --reuse   # measure it again
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_corpus  # noqa: E402

KEY = "genreport0000"


def generate(target: Path, count: int, seed: int = 2012) -> Path:
    """One claims file of ``count`` claims (written in chunks, so memory stays flat)."""
    rng = random.Random(seed)
    vocab = yaml.safe_load(make_corpus.VOCABULARY.read_text(encoding="utf-8"))
    sentences = make_corpus.report_sentences()
    sources = make_corpus.make_sources(rng, max(20, count // 40))
    if target.exists():
        shutil.rmtree(target)
    (target / "claims").mkdir(parents=True)
    (target / "sources" / "documents").mkdir(parents=True)
    (target / "index").mkdir()
    quotes: dict[str, None] = {}
    path = target / "claims" / f"{KEY}.yaml"
    with path.open("w", encoding="utf-8") as out:
        out.write(f"document: {KEY}\nclaims:\n")
        for start in range(0, count, 1000):
            claims = [make_corpus.make_claim(rng, n + 1, rng.choice(sentences), vocab, sources)
                      for n in range(start, min(count, start + 1000))]
            for claim in claims:
                claim["cites"] = [{"key": c["key"]} for c in claim["cites"]]  # one document: no footnotes
                quotes.setdefault(claim["quote"])
            out.write(yaml.safe_dump(claims, allow_unicode=True, sort_keys=False, width=100))
    (target / "sources" / "documents" / f"{KEY}.txt").write_text("\n\n".join(quotes) + "\n", encoding="utf-8")
    bib = [make_corpus.bib_entry({"key": KEY, "type": "report", "author": "{Barnardo's}", "year": 2012,
                                  "title": "Generated report"})]
    bib += [make_corpus.bib_entry(source) for source in sources]
    (target / "sources" / "references.bib").write_text("\n".join(bib), encoding="utf-8")
    return path


def measure(args: list[str], timeout: float) -> tuple[float, float, int | None]:
    """Wall time (s), peak RSS (MB) and exit code (None when stopped at ``timeout``) of one command."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    stopped = threading.Timer(timeout, process.kill)
    stopped.start()
    _, status, usage = os.wait4(process.pid, 0)
    stopped.cancel()
    elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024, None if code == -9 and elapsed >= timeout else code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--claims", type=int, default=130_000)
    parser.add_argument("--keep", type=Path, help="write the base here and keep it")
    parser.add_argument("--reuse", action="store_true", help="with --keep: measure the base already there")
    parser.add_argument("--timeout", type=float, default=600, help="stop a command after this many seconds")
    args = parser.parse_args(argv)
    target = args.keep or Path(tempfile.mkdtemp(prefix="kb-one-file-")) / "kb"
    started = time.perf_counter()
    path = target / "claims" / f"{KEY}.yaml"
    if not (args.reuse and path.is_file()):
        generate(target, args.claims)
    print(f"{'generated' if not args.reuse else 'reused'} {args.claims:,} claims in one file of {path.stat().st_size / 1e6:.1f} MB "
          f"({time.perf_counter() - started:.0f} s)")
    kb = [sys.executable, "-c", "import sys; from kb.cli import main; sys.argv[0] = 'kb'; main()", "--kb", str(target)]
    try:
        for name in ("stats", "verify"):
            elapsed, peak, code = measure([*kb, name], args.timeout)
            goal = "ok" if elapsed <= 30 and peak <= 1024 else "OVER GOAL (30 s, 1 GB)"
            shown = f"exit {code}" if code is not None else f"stopped after {args.timeout:.0f} s"
            print(f"kb {name:<6}  {elapsed:6.1f} s  peak RSS {peak:6.0f} MB  {shown}  {goal}", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(target.parent, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
