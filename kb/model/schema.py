"""The data model: sources, claims and their parts (pydantic v2, no I/O).

A claim's *fingerprint* hashes its canonical content (everything but its
review), so a review that recorded an older fingerprint is known to be stale.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from kb.model.statuses import REVIEW_STATUSES, claim_status

CLAIM_ID = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*-\d{4,}$")
SOURCE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:.\-]*$")
CLAIM_ID_RULE = "prefix-0001: lower-case letters and digits, a dash, 4+ digits"
"""The id rule in words, for messages."""
MAX_QUANTITY = 1e15
"""The largest magnitude a quantity may have (finite numbers only)."""


def _claim_id(value: str) -> str:
    if not CLAIM_ID.match(value):
        raise ValueError(f"'{value}' is not a claim id ({CLAIM_ID_RULE}, e.g. ctf-0042)")
    return value


ClaimId = Annotated[str, AfterValidator(_claim_id), Field(description="e.g. ctf-0042")]
SourceKey = Annotated[str, Field(pattern=SOURCE_KEY.pattern, min_length=1)]
NonEmpty = Annotated[str, Field(min_length=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


# --- sources -----------------------------------------------------------------


class Person(_Strict):
    """A person as author: family name plus given names or initials."""

    family: NonEmpty
    """Family name, e.g. ``Jago``."""
    given: str = ""
    """Given names or initials, e.g. ``S.``."""

    def display(self) -> str:
        return f"{self.family}, {self.given}" if self.given else self.family


class Organisation(_Strict):
    """An organisation as author (a 'literal' name in CSL)."""

    name: NonEmpty
    """The organisation's name as printed, e.g. ``Barnardo's``."""

    def display(self) -> str:
        return self.name


Author = Person | Organisation

SourceType = Literal["report", "legislation", "dataset", "online", "book", "article", "incollection", "misc"]


class Source(_Strict):
    """A work in ``sources/references.bib``: a document of the base or a work it cites."""

    key: SourceKey
    """The BibTeX key, e.g. ``jago2011whats``."""
    type: SourceType
    """The BibLaTeX entry type (``techreport`` is read as ``report``)."""
    authors: list[Author] = []
    """People or organisations, in order."""
    et_al: bool = False
    """The author list ends with 'and others'."""
    year: Annotated[int, Field(ge=1000, le=2999)] | None = None
    """Year of publication or enactment."""
    title: NonEmpty
    """The title as printed."""
    genre: str = ""
    """The document's kind within its type, e.g. ``Guidance`` (BibLaTeX ``type``)."""
    publisher: str = ""
    """Publisher or issuing institution (``institution``/``organization``/``publisher``)."""
    place: str = ""
    """Place of publication (``address``/``location``)."""
    number: str = ""
    """Report, Act or series number."""
    url: str = ""
    """Where the work can be found."""
    note: str = ""
    """Anything else the citation needs."""
    line: int | None = Field(default=None, exclude=True)
    """Line of the entry in the .bib file (for messages; not content)."""

    def author_names(self) -> list[str]:
        names = [a.display() for a in self.authors]
        return names + ["et al."] if self.et_al else names

    def short_author(self) -> str:
        """'Barnardo's', 'Jago et al.', 'Smith and Jones' — for citations in text."""
        if not self.authors:
            return self.publisher or self.title
        first = self.authors[0]
        head = first.family if isinstance(first, Person) else first.name
        if self.et_al or len(self.authors) > 2:
            return f"{head} et al."
        if len(self.authors) == 2:
            second = self.authors[1]
            return f"{head} and {second.family if isinstance(second, Person) else second.name}"
        return head

    def label(self) -> str:
        """Author-year label, e.g. ``Jago et al. (2011)``."""
        return f"{self.short_author()} ({self.year if self.year else 'n.d.'})"


# --- claims ------------------------------------------------------------------

Kind = Literal["statistic", "definition", "finding", "trend", "event", "policy", "recommendation", "indicator"]
ReviewStatus = Literal[REVIEW_STATUSES]  # type: ignore[valid-type]


class Cite(_Strict):
    """A work the document cites for a claim."""

    key: SourceKey
    """BibTeX key of the cited work."""
    footnote: Annotated[int, Field(ge=1)] | None = None
    """The document's footnote that cites it, if any."""
    locator: str = ""
    """Where in the cited work, e.g. ``p. 12`` or ``Table S5.7``."""
    elsewhere: bool = False
    """The footnote sits elsewhere in the document, not at the quote (the work is the claim's
    evidence all the same, e.g. a work the report cites once and relies on throughout)."""

    @model_validator(mode="after")
    def _elsewhere_needs_footnote(self) -> Cite:
        if self.elsewhere and self.footnote is None:
            raise ValueError("'elsewhere: true' needs the footnote that cites the work")
        return self


class Waiver(_Strict):
    """A footnote marker inside the quote that the claim deliberately does not cite."""

    footnote: Annotated[int, Field(ge=1)]
    """The footnote's number."""
    reason: NonEmpty
    """Why the claim does not rest on it, e.g. ``the footnote gives the survey's method``."""


QUALIFIERS = ("over", "at least", "under", "up to", "about", "almost", "exactly")
"""What a quantity's ``qualifier`` may be; absent means the number is as stated."""
Qualifier = Literal[QUALIFIERS]  # type: ignore[valid-type]


class Quantity(_Strict):
    """A number the claim states."""

    value: float | int
    """The number as a plain value: 1190, 10, 0.5 (finite, at most 10^15 in magnitude)."""
    unit: NonEmpty
    """What is counted: ``young people``, ``per cent of services``."""
    period: str = ""
    """The period the number covers, when it differs from the claim's."""
    place: str = ""
    """The place the number covers, when it differs from the claim's."""
    qualifier: Qualifier | None = None
    """``over``, ``at least``, ``under``, ``up to``, ``about``, ``almost``, ``exactly``; absent: as stated."""

    @field_validator("value", mode="before")
    @classmethod
    def _not_bool(cls, value: object) -> object:
        if isinstance(value, bool):
            raise ValueError("a quantity's value is a number, not true/false")
        return value

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float | int) -> float | int:
        if isinstance(value, int) and not -MAX_QUANTITY <= value <= MAX_QUANTITY:
            raise ValueError(f"a quantity's value must be at most 10^15 in magnitude, not {str(value)[:20]}…")
        if isinstance(value, float) and not (math.isfinite(value) and abs(value) <= MAX_QUANTITY):
            raise ValueError(f"a quantity's value must be a finite number of at most 10^15 in magnitude, not {value}")
        return value


class Review(_Strict):
    """A reviewer's verdict on a claim."""

    status: ReviewStatus
    """verified, disputed or needs-work."""
    by: str = ""
    """Who reviewed."""
    on: date | None = None
    """When."""
    fingerprint: str = ""
    """The claim fingerprint the reviewer saw; differs from the current one when stale."""
    note: str = ""
    """Why, especially for disputed and needs-work."""


Quote = Annotated[str, Field(min_length=1)] | Annotated[list[NonEmpty], Field(min_length=1)]


LinkRel = Literal["repeats", "supports", "contradicts", "updates", "qualifies"]


class Link(_Strict):
    """A typed link from a claim to another claim of the base (incoming links are computed, never stored)."""

    rel: LinkRel
    """repeats (the same fact stated again), supports, contradicts, updates (a newer figure for the same
    measure) or qualifies (narrows it or adds a condition)."""
    id: ClaimId
    """The other claim's id, e.g. ``ctf-0302``."""
    note: str = ""
    """Why, in a reviewer's words."""


class Claim(_Strict):
    """One atomic fact found in a document, with its quote and cited works."""

    id: ClaimId
    """Stable id, never reused, e.g. ``ctf-0042``."""
    statement: NonEmpty
    """The fact, self-contained: explicit subject, place and period; adds nothing to the quote."""
    kind: Kind
    """What sort of fact it is."""
    quote: Quote
    """Verbatim text from the document; a list of fragments when a footnote or box interrupts it."""
    section: NonEmpty
    """The document section the quote is in."""
    cites: list[Cite] = []
    """Works the document cites for it; empty means the document's own evidence."""
    waived: list[Waiver] = []
    """Footnote markers inside the quote that the claim does not cite, each with its reason."""
    quantities: list[Quantity] = []
    """The numbers the claim states."""
    places: list[str] = []
    """Places it concerns (controlled vocabulary)."""
    period: str = ""
    """The period it concerns, e.g. ``2010-11``."""
    topics: list[str] = []
    """Topics (controlled vocabulary)."""
    review: Review | None = None
    """The latest review, if any."""
    links: list[Link] = []
    """Typed links to other claims; checked by ``kb verify``, not part of the fingerprint."""
    document: SourceKey
    """Key of the document the claim comes from (set from its file)."""

    @field_validator("statement")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return " ".join(value.split())

    @field_validator("cites")
    @classmethod
    def _distinct_cites(cls, value: list[Cite]) -> list[Cite]:
        seen = set()
        for cite in value:
            ident = (cite.key, cite.footnote, cite.locator)
            if ident in seen:
                raise ValueError(f"cites {cite.key} twice")
            seen.add(ident)
        return value

    @field_validator("waived")
    @classmethod
    def _distinct_waivers(cls, value: list[Waiver]) -> list[Waiver]:
        numbers = [w.footnote for w in value]
        if len(set(numbers)) != len(numbers):
            raise ValueError("waives a footnote twice")
        return value

    @model_validator(mode="after")
    def _no_duplicates(self) -> Claim:
        cited = {c.footnote for c in self.cites if c.footnote is not None}
        both = sorted(cited & {w.footnote for w in self.waived})
        if both:
            raise ValueError(f"footnote {both[0]} is both cited and waived")
        for name in ("places", "topics"):
            values = getattr(self, name)
            if len(set(values)) != len(values):
                raise ValueError(f"{name} lists a value twice: {values}")
        return self

    @property
    def fragments(self) -> list[str]:
        return [self.quote] if isinstance(self.quote, str) else list(self.quote)

    @property
    def quote_text(self) -> str:
        """The quote as one string, fragments joined by ' … '."""
        return " … ".join(" ".join(f.split()) for f in self.fragments)

    @property
    def cited_keys(self) -> list[str]:
        return list(dict.fromkeys(c.key for c in self.cites))

    def canonical(self) -> dict[str, object]:
        """The content a review vouches for: everything but the review and the links to other claims.

        Fields added later (``waived``, a cite's ``elsewhere``, a quantity's ``qualifier``)
        are left out while unset, so that adding them kept every earlier fingerprint.
        """
        data = self.model_dump(mode="json", exclude={"review", "links"})
        if not data.get("waived"):
            data.pop("waived", None)
        for cite in data.get("cites", []):
            if not cite.get("elsewhere"):
                cite.pop("elsewhere", None)
        for quantity in data.get("quantities", []):
            if quantity.get("qualifier") is None:
                quantity.pop("qualifier", None)
        return data

    @property
    def fingerprint(self) -> str:
        blob = json.dumps(self.canonical(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    @property
    def status(self) -> str:
        """Review status (see :func:`kb.model.statuses.claim_status`)."""
        return claim_status(self)


class Vocabulary(_Strict):
    """Controlled vocabularies: name -> description."""

    kinds: dict[str, str]
    places: dict[str, str]
    topics: dict[str, str]
