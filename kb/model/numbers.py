"""Numbers written in prose, normalised so a statement's numbers can be found in its quote.

"1,190" and "1190" are one number; "10 per cent" and "10%" both state 10 (the
unit is not compared); number words up to twenty are their digits ("seven" is
7); a period such as "2010-11", "2010–11", "2010/11" or "2010-2011" is one
token, "2010-11", so a statement that says "2011" is not satisfied by a quote
that says "2010-11".
"""

from __future__ import annotations

import re
from dataclasses import dataclass

WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
}
_DASH = "-\u2010\u2011\u2012\u2013\u2014\u2212/"
_TOKEN = re.compile(
    rf"(?P<period>(?<!\d)(?P<y1>(?:1[89]|2\d)\d\d)\s*[{_DASH}]\s*(?P<y2>\d\d(?:\d\d)?)(?!\d))"
    r"|(?P<number>(?<!\d)(?<!\d\.)(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\d]))"
    rf"|(?P<word>\b(?:{'|'.join(WORDS)})\b)",
    re.IGNORECASE,
)
_NOT_A_NUMBER = re.compile(r"\bno[ -]one\b", re.IGNORECASE)


@dataclass(frozen=True)
class NumberToken:
    """A number found in text: its normalised ``value`` and where it is."""

    value: str
    """``"1190"``, ``"10"``, ``"0.5"``, ``"7"`` (from "seven"), ``"2010-11"`` (a period)."""
    text: str
    start: int
    end: int


def _plain(digits: str) -> str:
    whole, _, fraction = digits.replace(",", "").partition(".")
    whole, fraction = whole.lstrip("0") or "0", fraction.rstrip("0")
    return f"{whole}.{fraction}" if fraction else whole


def number_tokens(text: str) -> list[NumberToken]:
    """Every number in ``text``, in order, normalised."""
    skip = [(m.start(), m.end()) for m in _NOT_A_NUMBER.finditer(text)]
    tokens = []
    for m in _TOKEN.finditer(text):
        if any(s <= m.start() < e for s, e in skip):
            continue
        if m.group("period"):
            first, second = m.group("y1"), m.group("y2")
            if len(second) == 4:
                if second[:2] != first[:2] and not (first[:2] == "19" and second[:2] == "20"):
                    continue  # not a period: "1999-2100"
                second = second[2:]
            value = f"{first}-{second}"
        elif m.group("number"):
            value = _plain(m.group("number"))
        else:
            value = str(WORDS[m.group("word").lower()])
        tokens.append(NumberToken(value, m.group(), m.start(), m.end()))
    return tokens


def numbers_in(text: str) -> set[str]:
    """The normalised numbers of ``text``, as a set."""
    return {t.value for t in number_tokens(text)}


def missing_numbers(statement: str, quote: str) -> list[NumberToken]:
    """The statement's numbers that the quote does not state, in order, each once."""
    have = numbers_in(quote)
    missing: dict[str, NumberToken] = {}
    for token in number_tokens(statement):
        if token.value not in have:
            missing.setdefault(token.value, token)
    return list(missing.values())


# --- values as the prose writes them (for checking a quantity against its quote) ----------

TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
        "ninety": 90}
_UNITS = {k: v for k, v in WORDS.items() if 1 <= v <= 9}
_ORDINAL_PARTS = {"half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fifth": 5,
                  "fifths": 5, "sixth": 6, "sixths": 6, "seventh": 7, "sevenths": 7, "eighth": 8, "eighths": 8,
                  "tenth": 10, "tenths": 10}
_COUNT = rf"(?:a|an|one|{'|'.join(k for k in WORDS if 1 < WORDS[k] < 10)})"
_VALUE = re.compile(
    rf"(?P<fraction>\b(?P<num>{_COUNT})[ -](?P<den>{'|'.join(_ORDINAL_PARTS)})\b)"
    rf"|(?P<half>\bhalf\b)"
    rf"|(?P<ratio>(?<![\d,.])\b(?P<rnum>one|a|\d{{1,2}}) in (?P<rden>{'|'.join(WORDS)}|\d{{1,3}})\b(?![\d-]|[.,]\d))"
    rf"|(?P<compound>\b(?P<tens>{'|'.join(TENS)})[ -](?P<unit>{'|'.join(_UNITS)})\b)"
    rf"|(?P<tens_only>\b(?:{'|'.join(TENS)})\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ValueToken:
    """A number as the prose writes it, with its numeric value: "57", "fifty-seven", "a third"."""

    value: float
    text: str
    start: int
    end: int


def _word_value(word: str) -> float:
    word = word.lower()
    return 1.0 if word in ("a", "an", "one") else float(WORDS[word]) if word in WORDS else float(word)


def value_tokens(text: str) -> list[ValueToken]:
    """Every value written in ``text``: digits ("1,190", "44", "0.5"), number words up to
    ninety-nine ("seven", "fifty-seven"), fractions ("a third", "two thirds", "half") and
    ratios ("one in six"), in order. Periods ("2010-11") are left out."""
    found: list[ValueToken] = []
    taken: list[tuple[int, int]] = []
    for m in _VALUE.finditer(text):
        if m.group("fraction"):
            value = _word_value(m.group("num")) / _ORDINAL_PARTS[m.group("den").lower()]
        elif m.group("half"):
            value = 0.5
        elif m.group("ratio"):
            value = _word_value(m.group("rnum")) / max(_word_value(m.group("rden")), 1.0)
        elif m.group("compound"):
            value = float(TENS[m.group("tens").lower()] + _UNITS[m.group("unit").lower()])
        else:
            value = float(TENS[m.group().lower()])
        found.append(ValueToken(value, m.group(), m.start(), m.end()))
        taken.append((m.start(), m.end()))
    for token in number_tokens(text):
        if "-" in token.value or any(s <= token.start < e for s, e in taken):
            continue
        found.append(ValueToken(float(token.value), token.text, token.start, token.end))
    return sorted(found, key=lambda t: t.start)


def same_value(stated: float, written: float) -> bool:
    """Whether a quantity's value is what the prose wrote: equal, or a fraction given as a share
    (``a third`` is 0.333 or 33.3 per cent, within rounding)."""
    if stated == written:
        return True
    if written < 1:
        return abs(stated - written) < 0.006 or abs(stated - written * 100) < 0.6
    return False
