"""The data model accepts good records and rejects each kind of bad one."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from kb.model.schema import Cite, Claim, Organisation, Person, Quantity, Review, Source

GOOD = {
    "id": "ctf-0007",
    "statement": "Barnardo's worked with 1,190 young people affected by sexual exploitation in 2010-11.",
    "kind": "statistic",
    "quote": "In 2010-11 we worked with 1,190 young people affected by sexual exploitation",
    "section": "Introduction",
    "cites": [],
    "quantities": [{"value": 1190, "unit": "young people", "period": "2010-11"}],
    "places": ["UK"],
    "period": "2010-11",
    "topics": ["service-users", "prevalence"],
    "document": "barnardos2012cutting",
}


def test_good_claim_is_accepted() -> None:
    claim = Claim.model_validate(GOOD)
    assert claim.quantities == [Quantity(value=1190, unit="young people", period="2010-11")]
    assert claim.fragments == [GOOD["quote"]]
    assert claim.status == "unreviewed"
    assert len(claim.fingerprint) == 16


def test_quote_may_be_fragments() -> None:
    claim = Claim.model_validate({**GOOD, "quote": ["first part,", "second part"]})
    assert claim.fragments == ["first part,", "second part"]
    assert claim.quote_text == "first part, … second part"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"id": "CTF 7"}, "id"),
        ({"kind": "opinion"}, "kind"),
        ({"statement": ""}, "statement"),
        ({"quote": []}, "quote"),
        ({"quote": ["ok", ""]}, "quote"),
        ({"section": ""}, "section"),
        ({"cites": [{"key": "a b"}]}, "cites"),
        ({"cites": [{"key": "x", "footnote": 0}]}, "cites"),
        ({"cites": [{"key": "x"}, {"key": "x"}]}, "cites"),
        ({"quantities": [{"value": "many", "unit": "people"}]}, "quantities"),
        ({"quantities": [{"value": 3}]}, "quantities"),
        ({"places": ["UK", "UK"]}, "places"),
        ({"review": {"status": "fine"}}, "review"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_claims_are_rejected_naming_the_field(change: dict, field: str) -> None:
    with pytest.raises(ValidationError) as info:
        Claim.model_validate({**GOOD, **change})
    locations = {str(err["loc"][0]) if err["loc"] else "" for err in info.value.errors()}
    assert field in locations or any(field in err["msg"] for err in info.value.errors())


def test_missing_required_field_is_named() -> None:
    data = dict(GOOD)
    del data["statement"]
    with pytest.raises(ValidationError, match="statement"):
        Claim.model_validate(data)


def test_fingerprint_ignores_review_but_not_content() -> None:
    claim = Claim.model_validate(GOOD)
    reviewed = Claim.model_validate({**GOOD, "review": {"status": "verified", "fingerprint": claim.fingerprint}})
    assert reviewed.fingerprint == claim.fingerprint
    assert reviewed.status == "verified"
    edited = Claim.model_validate({**GOOD, "statement": GOOD["statement"].replace("1,190", "1,191"),
                                   "review": {"status": "verified", "fingerprint": claim.fingerprint}})
    assert edited.fingerprint != claim.fingerprint
    assert edited.status == "stale"


def test_statement_whitespace_is_normalised_and_does_not_change_fingerprint() -> None:
    a = Claim.model_validate(GOOD)
    b = Claim.model_validate({**GOOD, "statement": GOOD["statement"].replace(" ", "\n  ", 2)})
    assert a.statement == b.statement and a.fingerprint == b.fingerprint


def test_source_labels() -> None:
    org = Source(key="b", type="report", authors=[Organisation(name="Barnardo's")], year=2012, title="T")
    assert org.label() == "Barnardo's (2012)"
    team = Source(key="j", type="report", authors=[Person(family="Jago", given="S.")], et_al=True,
                  year=2011, title="T")
    assert team.short_author() == "Jago et al."
    assert team.author_names() == ["Jago, S.", "et al."]
    act = Source(key="soa", type="legislation", title="Sexual Offences Act 2003", year=2003)
    assert act.label() == "Sexual Offences Act 2003 (2003)"


def test_source_rejects_bad_type_and_year() -> None:
    with pytest.raises(ValidationError, match="type"):
        Source(key="x", type="pamphlet", title="T")
    with pytest.raises(ValidationError, match="year"):
        Source(key="x", type="report", title="T", year=20111)


def test_review_takes_only_a_reviewer_s_verdict() -> None:
    from datetime import date

    review = Review(status="disputed", on="2026-11-01", note="wrong footnote")
    assert review.on == date(2026, 11, 1)
    for derived in ("stale", "unreviewed"):  # statuses kb derives, never records
        with pytest.raises(ValidationError, match="status"):
            Review(status=derived)
    with pytest.raises(ValidationError, match="on"):
        Review(status="verified", on="yesterday")


def test_cite_locator_and_footnote() -> None:
    cite = Cite(key="moj2011criminal", footnote="10", locator="Table S5.7")
    assert (cite.footnote, cite.locator) == (10, "Table S5.7")
    with pytest.raises(ValidationError, match="footnote"):
        Cite(key="moj2011criminal", footnote="ten")


# --- values as the prose writes them (quantities, issue 11/16) ---------------------------------


def test_value_tokens_read_the_reports_forms() -> None:
    from kb.model.numbers import same_value, value_tokens

    text = "fifty-seven cases, a third of areas, two thirds, half of them, one in six, 44 per cent, 1,190 in 2010-11"
    values = [(t.text, round(t.value, 3)) for t in value_tokens(text)]
    assert values == [("fifty-seven", 57.0), ("a third", 0.333), ("two thirds", 0.667), ("half", 0.5),
                      ("one in six", 0.167), ("44", 44.0), ("1,190", 1190.0)]
    assert same_value(0.333, 1 / 3) and same_value(33.3, 1 / 3) and not same_value(0.25, 1 / 3)
    assert not same_value(58, 57.0)


def test_quantity_values_are_bounded_and_finite() -> None:
    import pytest
    from pydantic import ValidationError

    from kb.model.schema import Quantity

    for bad in (float("nan"), float("inf"), 10**400, "1e400", True):
        with pytest.raises(ValidationError):
            Quantity(value=bad, unit="x")
    assert Quantity(value=1e15, unit="x", qualifier="at least").qualifier == "at least"
    with pytest.raises(ValidationError):
        Quantity(value=1, unit="x", qualifier="roughly")
