"""Property tests: any input gives a result or a clean error, never a traceback."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from conftest import SMALL_KB, copy_kb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kb.errors import KbError
from kb.search.searcher import search_ids
from kb.store.document import Document
from kb.store.loader import load_claim_file, load_kb

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
QUERY_ALPHABET = st.sampled_from(list('abcdeimnorstwyz ":*~?()[]{}^+-!/\\<>=.,\'0123456789') +
                                 ["AND", "OR", "NOT", "TO", "kind:", "place:", "value:", "year:", "source:",
                                  "status:", "topic:", "period:", "nope:", "CSE", "missing"])


@pytest.fixture(scope="module")
def indexed_kb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_kb(SMALL_KB, tmp_path_factory.mktemp("prop") / "kb")
    search_ids(root, "warm the index")
    return root


@SETTINGS
@given(st.lists(QUERY_ALPHABET, min_size=1, max_size=12).map("".join))
def test_any_query_gives_hits_or_a_clean_error(indexed_kb: Path, text: str) -> None:
    try:
        ids = search_ids(indexed_kb, text, limit=5)
    except KbError as error:
        assert error.exit_code == 2 and str(error)
    else:
        assert isinstance(ids, list) and all(i.startswith("tst-") for i in ids)


@SETTINGS
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_any_claims_file_loads_or_reports_problems(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("yaml") / "claims.yaml"
    path.write_text(text, encoding="utf-8")
    claims, _, problems = load_claim_file(path)
    for problem in problems:
        assert problem.path == path and problem.message
    assert isinstance(claims, list)


@SETTINGS
@given(st.data())
def test_mutating_a_claim_file_never_crashes_the_loader(tmp_path_factory: pytest.TempPathFactory, data) -> None:
    root = tmp_path_factory.mktemp("mut") / "kb"
    copy_kb(SMALL_KB, root)
    path = root / "claims" / "testorg2020study.yaml"
    text = path.read_text(encoding="utf-8")
    start = data.draw(st.integers(0, len(text) - 1))
    length = data.draw(st.integers(0, 40))
    insert = data.draw(st.text(alphabet=":-[]{}'\"#\n &*!|>?,abc0 ", max_size=10))
    path.write_text(text[:start] + insert + text[start + length:], encoding="utf-8")
    kb = load_kb(root, strict=False)
    for problem in kb.problems:
        assert problem.message and problem.check
    shutil.rmtree(root)


DOCUMENT = Document.read("t", SMALL_KB / "sources" / "documents" / "testorg2020study.txt")
WORDS = [m for m in re.finditer(r"\S+", DOCUMENT.text)]


@SETTINGS
@given(st.integers(0, len(WORDS) - 8), st.integers(2, 8), st.sampled_from([" ", "  ", "\n", " \n "]))
def test_a_span_of_the_document_anchors_to_itself_whatever_its_spacing(start: int, n: int, space: str) -> None:
    words = [m.group() for m in WORDS[start:start + n]]
    quote = space.join(words)
    anchor = DOCUMENT.find(quote)
    assert anchor is not None
    assert DOCUMENT.text[anchor.start:anchor.end] == anchor.exact

    def bare(text: str) -> str:  # spacing and line-break hyphens are what may differ
        return re.sub(r"[\s-]", "", text)

    assert bare(anchor.exact) == bare(quote)
