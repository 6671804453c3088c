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


def _fractions(text: str) -> list[float]:
    """The fractions and ratios written in ``text`` ("a third", "half", "one in six", "two-thirds")."""
    from kb.model.numbers import value_tokens

    return [t.value for t in value_tokens(text) if 0 < t.value < 1]


def test_every_statistic_with_a_fraction_carries_it_as_a_quantity(kb) -> None:
    from kb.model.numbers import same_value

    missing = []
    for claim in kb:
        quote = " ".join(claim.fragments)
        if claim.kind == "statistic" and _fractions(quote) and not claim.quantities:
            missing.append((claim.id, "no quantity"))
        # a fraction the statement states is a quantity of the claim, whatever its kind
        for value in _fractions(claim.statement):
            if claim.kind == "statistic" and not any(same_value(float(q.value), value) for q in claim.quantities):
                missing.append((claim.id, value))
    assert missing == []


def test_the_fractions_of_the_audit_are_quantities(kb) -> None:
    """The second pass (issue 11) stored these shares as numbers: a third is 0.333, one in six 0.167."""
    expected = {"ctf-0045": 0.333, "ctf-0048": 0.143, "ctf-0055": 0.333, "ctf-0069": 0.5, "ctf-0070": 0.25,
                "ctf-0111": 0.167, "ctf-0112": 0.25, "ctf-0113": 0.5, "ctf-0188": 0.667, "ctf-0190": 0.5,
                "ctf-0275": 0.333, "ctf-0284": 0.5, "ctf-0325": 0.333}
    got = {cid: [float(q.value) for q in kb.claim(cid).quantities] for cid in expected}
    assert [cid for cid, value in expected.items() if value not in got[cid]] == []


def test_every_link_targets_a_claim_of_the_base_and_repeats_are_recorded_once(kb) -> None:
    links = [(c.id, link.rel, link.id) for c in kb for link in c.links]
    assert [x for x in links if x[2] not in kb.claims or x[2] == x[0]] == []
    pairs = Counter(frozenset((a, b)) for a, rel, b in links if rel == "repeats")
    assert [sorted(p) for p, n in pairs.items() if n > 1] == []  # one way is enough
    repeated = {frozenset((a, b)) for a, rel, b in links if rel == "repeats"}
    # the report's summary boxes restate its body: the checklist, the calls for the nations
    for a, b in [("ctf-0221", "ctf-0302"), ("ctf-0225", "ctf-0306"), ("ctf-0017", "ctf-0043"),
                 ("ctf-0092", "ctf-0114"), ("ctf-0192", "ctf-0311"), ("ctf-0193", "ctf-0312"),
                 ("ctf-0213", "ctf-0314"), ("ctf-0214", "ctf-0316"), ("ctf-0215", "ctf-0315")]:
        assert frozenset((a, b)) in repeated, (a, b)


def test_every_work_in_the_bibliography_is_cited_by_a_claim(kb) -> None:
    cited = {key for claim in kb for key in claim.cited_keys}
    assert sorted(set(kb.sources) - cited - set(kb.document_keys)) == []
    # the works the report names as evidence without a footnote are cited by the claims resting on them
    assert {"nwg2010survey"} <= set(kb.claim("ctf-0044").cited_keys) & set(kb.claim("ctf-0045").cited_keys)
    assert "barnardosrecovery" in kb.claim("ctf-0276").cited_keys
    assert kb.source(DOCUMENT).url in (None, "")  # footnote 18's address is the campaign's, not the report's


def test_survey_findings_say_when_and_whose(kb) -> None:
    """A finding of Barnardo's annual survey carries its period (2010-11) and place."""
    sections = {"Models of exploitation", "Organised exploitation and internal trafficking",
                "Involvement of peers in exploitation", "Exploitation of younger children"}
    survey = [c for c in kb if c.section in sections and c.kind in ("statistic", "trend")]
    assert survey and [c.id for c in survey if not c.period or not c.places] == []
    counted = [c for c in survey if c.kind == "statistic"]
    assert [c.id for c in counted if "2010-11" not in c.statement] == []
