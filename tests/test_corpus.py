"""Checks on the bundled knowledge base: Barnardo's (2012) "Cutting them free".

These hold the curation to its promises: every quote is in the report, every
footnote that cites a work is used, every work in the bibliography is cited,
statements and ids are unique, and the report's numbers are all captured.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter

import pytest

from kb.store.loader import load_kb

DOCUMENT = "barnardos2012cutting"
# The footnotes of the report that cite a work (the others state a fact: 2, 4, 8, 11, 16, 19).
CITING_FOOTNOTES = {1, 3, 5, 6, 7, 9, 10, 12, 13, 14, 15, 17, 18, 20}
# sha256 of ../shared/corpus/cutting-them-free-2012.txt, which the document copies unchanged.
CORPUS_SHA256 = "efaf05d61ba322b7abb6eb00c00a41d29db350f3c2f1ea4ef40b54cffdfb74d1"


@pytest.fixture(scope="module")
def kb():
    return load_kb()


def test_base_loads_without_problems(kb) -> None:
    assert kb.problems == []
    assert len(kb) > 150


def test_document_is_the_unchanged_corpus_text(kb) -> None:
    data = (kb.documents_dir / f"{DOCUMENT}.txt").read_bytes()
    assert hashlib.sha256(data).hexdigest() == CORPUS_SHA256


def test_every_quote_is_found_in_the_document(kb) -> None:
    document = kb.document(DOCUMENT)
    missing = [(c.id, f) for c in kb for f, a in zip(c.fragments, document.anchor_fragments(c.fragments))
               if a is None]
    assert missing == []


def test_fragments_are_in_document_order(kb) -> None:
    document = kb.document(DOCUMENT)
    for claim in kb:
        starts = [a.start for a in document.anchor_fragments(claim.fragments)]
        assert starts == sorted(starts), claim.id


def test_every_citing_footnote_is_used_and_exists(kb) -> None:
    document = kb.document(DOCUMENT)
    assert set(document.footnotes) == set(range(1, 21))
    used = {cite.footnote for claim in kb for cite in claim.cites if cite.footnote}
    assert CITING_FOOTNOTES <= used
    assert used <= set(document.footnotes)


def test_every_source_is_cited_or_a_document(kb) -> None:
    cited = {key for claim in kb for key in claim.cited_keys}
    documents = set(kb.document_keys)
    assert set(kb.sources) - cited - documents == set()
    assert documents <= set(kb.sources)


def test_same_work_footnotes_share_one_entry(kb) -> None:
    keys_by_footnote: dict[int, set[str]] = {}
    for claim in kb:
        for cite in claim.cites:
            if cite.footnote:
                keys_by_footnote.setdefault(cite.footnote, set()).add(cite.key)
    for a, b in [(1, 12), (5, 7), (3, 15)]:
        if a in keys_by_footnote and b in keys_by_footnote:
            assert keys_by_footnote[a] == keys_by_footnote[b], (a, b)
    assert len(keys_by_footnote[9]) == 3  # the three Acts and Orders


def test_statements_are_unique(kb) -> None:
    counts = Counter(" ".join(c.statement.lower().split()) for c in kb)
    assert [s for s, n in counts.items() if n > 1] == []


def test_ids_are_unique_well_formed_and_in_order(kb) -> None:
    ids = list(kb.claims)
    assert all(re.fullmatch(r"ctf-\d{4}", i) for i in ids)
    assert ids == sorted(ids)


def test_statements_speak_in_the_third_person(kb) -> None:
    pattern = re.compile(r"\b(we|our|us|this year|this report)\b", re.IGNORECASE)
    assert [c.id for c in kb if pattern.search(c.statement)] == []



def test_bundled_base_verifies_without_warnings(kb) -> None:
    """The qualifiers, waivers and 'elsewhere' cites added for issue 16 stay complete."""
    from kb.provenance.verify import verify

    report = verify(kb)
    assert report.ok and not report.warnings, [(f.check, f.subject) for f in report.findings]


def test_waivers_and_elsewhere_cites_give_reasons(kb) -> None:
    waived = [w for c in kb for w in c.waived]
    elsewhere = [c.id for c in kb for cite in c.cites if cite.elsewhere]
    assert len(waived) >= 11 and all(len(w.reason.split()) >= 4 for w in waived)
    assert len(elsewhere) >= 13
    qualified = Counter(q.qualifier for c in kb for q in c.quantities if q.qualifier)
    assert qualified["over"] >= 8 and qualified["under"] >= 5 and qualified["at least"] >= 2
