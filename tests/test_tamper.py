"""One tampering per fresh copy of the bundled base: ``kb verify`` must catch each (issue 16).

Each test changes one thing a claim asserts and checks that ``kb verify`` fails (exit 1,
or 2 when the base cannot be read) naming the check and the claim.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from kb.store.loader import load_kb

CLAIMS = "claims/barnardos2012cutting.yaml"


def tamper(base: Path, claim_id: str, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` once, inside the lines of one claim."""
    path = base / CLAIMS
    text = path.read_text(encoding="utf-8")
    start = text.index(f"- id: {claim_id}\n")
    end = text.find("\n- id: ", start + 1)
    end = len(text) if end < 0 else end
    block = text[start:end]
    assert old in block, f"{old!r} is not in {claim_id}"
    path.write_text(text[:start] + block.replace(old, new, 1) + text[end:], encoding="utf-8")


def verify_json(run, base: Path) -> tuple[int, list[dict]]:
    r = run("--kb", base, "verify", "--json")
    return r.exit_code, json.loads(r.stdout)["findings"]


def assert_caught(run, base: Path, check: str, claim_id: str, exit_code: int = 1) -> dict:
    code, found = verify_json(run, base)
    assert code == exit_code
    hits = [f for f in found if f["check"] == check and f["subject"] == claim_id]
    assert hits, [(f["check"], f["subject"]) for f in found]
    assert hits[0]["file"] == CLAIMS and hits[0]["line"]
    return hits[0]


def test_untampered_bundled_base_passes(run, bundled_kb: Path) -> None:
    code, found = verify_json(run, bundled_kb)
    assert code == 0 and not [f for f in found if f["severity"] == "error"]


def test_review_without_fingerprint_is_unreviewed(run, bundled_kb: Path) -> None:
    tamper(bundled_kb, "ctf-0143", "  topics: [prosecution]",
           "  topics: [prosecution]\n  review: {status: verified, by: someone, on: 2025-01-02}")
    code, found = verify_json(run, bundled_kb)
    hits = [f for f in found if f["check"] == "review-unfingerprinted" and f["subject"] == "ctf-0143"]
    assert hits and hits[0]["severity"] == "warning"
    assert load_kb(bundled_kb).claims["ctf-0143"].status == "unreviewed"



def test_quantity_qualifier_dropped_is_a_warning(run, bundled_kb: Path) -> None:
    tamper(bundled_kb, "ctf-0143", ", qualifier: over", "")
    code, found = verify_json(run, bundled_kb)
    hits = [f for f in found if f["check"] == "quantity-qualifier-missing" and f["subject"] == "ctf-0143"]
    assert hits and hits[0]["severity"] == "warning" and "over 21" in hits[0]["message"]




def test_quote_cut_to_one_word(run, bundled_kb: Path) -> None:
    tamper(bundled_kb, "ctf-0003", '  - "Although Barnardo’s had been supporting victims of this horrific abuse for 17 years"\n',
           "")
    tamper(bundled_kb, "ctf-0003", '  - "in January 2011 was to launch the Cut them free campaign to call for urgent action for '
           'child sexual exploitation to be tackled in the UK."\n', '  - "the"\n')
    assert_caught(run, bundled_kb, "quote-substance", "ctf-0003")


TAMPERINGS = [  # (claim, old, new, the check that must catch it[, what its message says])
    pytest.param("ctf-0143", "{value: 57,", "{value: 58,", "quantity-value", "58", id="quantity_value_changed"),
    pytest.param("ctf-0139", "  cites:\n  - {key: sexualoffencesact2003, footnote: 9}\n", "  cites: []\n",
                 "footnote-uncited", "footnote 9", id="cites_removed"),
    pytest.param("ctf-0143", "sexual exploitation in England and Wales.\n", "sexual exploitation in Scotland.\n",
                 "statement-place", "Scotland", id="statement_place_changed"),
    pytest.param("ctf-0143", 'unit: people found guilty, period: "2010"', 'unit: people found guilty, period: "2011"',
                 "quantity-period", id="quantity_period_changed"),
    pytest.param("ctf-0143", "qualifier: over", "qualifier: about", "quantity-qualifier", id="quantity_qualifier_wrong"),
    pytest.param("ctf-0072", "  - {key: ucl2010briefing, footnote: 6}\n", "", "footnote-uncited", id="one_cite_dropped"),
    pytest.param("ctf-0001", "  cites: []\n", "  cites:\n  - {key: jago2011whats, footnote: 5}\n", "cite-not-near",
                 id="cite_added_to_the_reports_own_evidence"),
    pytest.param("ctf-0001", "  cites: []\n", "  cites: []\n  waived:\n  - {footnote: 3, reason: none}\n",
                 "footnote-uncited", id="waiver_of_a_footnote_not_in_the_quote"),
    pytest.param("ctf-0046", ", elsewhere: true", "", "cite-not-near", id="elsewhere_removed"),
    pytest.param("ctf-0143", "In 2010, only 57 people (over 21 years old) were found guilty of offences relating to\n",
                 "In 2010, only 21 people (over 57 years old) were found guilty of offences relating to\n",
                 "statement-number-swap", id="statement_numbers_swapped"),
    pytest.param("ctf-0143", "years old) were found guilty of offences relating to\n",
                 "years old) were not found guilty of offences relating to\n", "statement-negation",
                 id="statement_negated"),
    pytest.param("ctf-0143", "  section: Prosecutions\n", "  section: Convictions\n", "section-unknown",
                 id="section_that_is_no_heading"),
]


@pytest.mark.parametrize(("claim_id", "old", "new", "check", "says"),
                         [p if len(p.values) == 5 else pytest.param(*p.values, "", id=p.id) for p in TAMPERINGS])
def test_tampering_is_caught(run, bundled_kb: Path, claim_id: str, old: str, new: str, check: str, says: str) -> None:
    tamper(bundled_kb, claim_id, old, new)
    assert says in assert_caught(run, bundled_kb, check, claim_id)["message"]


def test_misspelt_top_level_key(run, bundled_kb: Path) -> None:
    path = bundled_kb / CLAIMS
    path.write_text(path.read_text(encoding="utf-8").replace("\nclaims:\n", "\nclaim:\n", 1), encoding="utf-8")
    r = run("--kb", bundled_kb, "verify")
    assert r.exit_code == 2
    assert "unknown top-level key 'claim'" in r.stderr and "did you mean 'claims'?" in r.stderr
    r = run("--kb", bundled_kb, "stats")
    assert r.exit_code == 2 and "unknown top-level key 'claim'" in r.stderr


@pytest.mark.parametrize("value", ["<script>alert(1)</script>", "Table \\\\textbf{S5.7}", "Table\\x1b[31m S5.7"])
def test_markup_in_a_field_is_a_warning(run, bundled_kb: Path, value: str) -> None:
    tamper(bundled_kb, "ctf-0143", 'locator: "Table S5.7"', f'locator: "{value}"')
    code, found = verify_json(run, bundled_kb)
    hits = [f for f in found if f["check"] == "markup" and f["subject"] == "ctf-0143"]
    assert hits and hits[0]["severity"] == "warning" and "cites[0].locator" in hits[0]["message"]
    assert re.search(r"plain text", hits[0]["hint"])
