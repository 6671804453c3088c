"""How a style credits a work read in another: the secondary-citation rule of each style family.

A claim whose document (the work read) cites another work for it is a secondary
citation. Each family of styles says it its own way, and lists different works:

=====================================  ==============  ===========================
family (styles)                        phrase          reference list holds
=====================================  ==============  ===========================
APA 7 (``apa``, ``apa-*``)             as cited in     the work read only (APA 8.6)
Harvard Cite Them Right                cited in        the work read only
Chicago (author-date and notes)        quoted in       both (CMOS 17, 14.260, 15.52)
MLA (``modern-language-association``)  qtd. in         the work read only (MLA 9, 6.81)
MHRA, OSCOLA (notes)                   cited in        both
numeric (Vancouver, IEEE, AMA, Nature) cited in        both
any other style                        cited in        both
=====================================  ==============  ===========================

``--credit`` overrides the list: ``read`` (the work read only), ``both``, or
``cited`` (the cited work only, credited directly, no phrase).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kb.errors import BadInput

Credit = Literal["both", "read", "cited"]
CREDITS: tuple[str, ...] = ("both", "read", "cited")


@dataclass(frozen=True)
class SecondaryRule:
    family: str
    phrase: str
    """What joins the cited work to the work read: 'as cited in'."""
    credit: Credit
    """Which works the reference list holds."""


# (name prefix, rule): the first prefix a style's name starts with wins.
FAMILIES: tuple[tuple[str, SecondaryRule], ...] = (
    ("apa", SecondaryRule("APA 7", "as cited in", "read")),
    ("harvard-cite-them-right", SecondaryRule("Harvard Cite Them Right", "cited in", "read")),
    ("chicago", SecondaryRule("Chicago", "quoted in", "both")),
    ("modern-language-association", SecondaryRule("MLA", "qtd. in", "read")),
    ("mhra", SecondaryRule("MHRA", "cited in", "both")),
    ("oscola", SecondaryRule("OSCOLA", "cited in", "both")),
    ("vancouver", SecondaryRule("Vancouver", "cited in", "both")),
    ("ieee", SecondaryRule("IEEE", "cited in", "both")),
    ("american-medical-association", SecondaryRule("AMA", "cited in", "both")),
    ("nature", SecondaryRule("Nature", "cited in", "both")),
    ("elsevier-harvard", SecondaryRule("Elsevier Harvard", "cited in", "both")),
)
DEFAULT_RULE = SecondaryRule("default", "cited in", "both")


def rule_for(style_name: str) -> SecondaryRule:
    """The secondary-citation rule of the family ``style_name`` belongs to (default otherwise)."""
    name = style_name.strip().lower()
    if name.endswith(".csl"):
        name = name.replace("\\", "/").rsplit("/", 1)[-1][: -len(".csl")]
    for prefix, rule in FAMILIES:
        if name == prefix or name.startswith(prefix + "-"):
            return rule
    return DEFAULT_RULE


def check_credit(credit: str | None) -> Credit | None:
    """``credit`` lower-cased when it is one of both/read/cited; BadInput otherwise."""
    if credit is None:
        return None
    value = credit.strip().lower()
    if value not in CREDITS:
        raise BadInput(f"unknown --credit '{credit}'", hint="use both, read or cited")
    return value  # type: ignore[return-value]


def credit_for(style_name: str, override: str | None = None) -> Credit:
    """The override when given, else the style family's own rule."""
    return check_credit(override) or rule_for(style_name).credit
