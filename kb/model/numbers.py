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
