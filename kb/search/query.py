"""kb's own query tree and the parser of its query language (parsed once, translated per engine).

The language::

    going missing                 free words: they rank (stemmed, in the text fields)
    "greater risk"                a phrase
    place:england  place:"Northern Ireland"  kind:statistic   filters: they restrict
    value:>=1000  value:<10.5  year:2010  year:[2009 TO 2011]  year:2009..2011  ranges
    convict*  missin?            wildcards (free words or filter values)
    convictons~  convictons~2    fuzzy words (at most 2 edits)
    a AND b   a OR b   NOT a   ( ... )   operators (AND binds tighter than OR)

Semantics, "filters restrict; free words rank": in a run of juxtaposed items (the
implicit group), positive filters are required and the free words only rank the claims
the filters allow; without a positive filter at least one free word must match. ``NOT``
always excludes. The tree keeps this as :class:`And` with ``optional`` children.

Expansion (acronyms today, a thesaurus later) runs on the tree before translation: see
:mod:`kb.search.expansion`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from kb.errors import BadInput

MAX_QUERY = 1000
"""Characters a query may have (a longer one is refused, echoed back shortened)."""
MAX_WORD = 100
"""Characters one word may have (fuzzy matching and suggestions cost grows with it)."""
MAX_FUZZY = 2
"""Edits a fuzzy word may allow."""
MAX_NODES = 200
"""Words, phrases and filters one query may hold."""

TEXT_FIELDS = ("statement", "quote", "section", "cited")
FILTER_FIELDS = ("id", "kind", "place", "topic", "source", "citekey", "year", "period", "status", "value",
                 "document")
NUMERIC_FIELDS = ("year", "value")
FIELD_ALIASES = {"places": "place", "topics": "topic", "author": "source", "cites": "source",
                 "review": "status", "kinds": "kind", "years": "year", "values": "value"}
QUERY_FIELDS = tuple(sorted(set(TEXT_FIELDS) | set(FILTER_FIELDS) - {"citekey"}))


# --- the tree ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """A word; ``field`` None means the text fields. ``why`` says which expansion added it."""

    text: str
    field: str | None = None
    weight: float = 1.0
    why: str = ""


@dataclass(frozen=True)
class Phrase:
    """Words in order."""

    words: tuple[str, ...]
    field: str | None = None
    weight: float = 1.0
    why: str = ""


@dataclass(frozen=True)
class Filter:
    """``field:value``: claims holding that value (places and topics compared as slugs)."""

    field: str
    value: str


@dataclass(frozen=True)
class Range:
    """A numeric range of ``year`` or ``value``; ``None`` is open."""

    field: str
    lo: float | None
    hi: float | None
    lo_inclusive: bool = True
    hi_inclusive: bool = True


@dataclass(frozen=True)
class Wildcard:
    """``exp*`` or ``place:eng*`` (``*`` any characters, ``?`` one)."""

    field: str | None
    pattern: str


@dataclass(frozen=True)
class Fuzzy:
    """``word~`` (``maxdist`` edits)."""

    field: str | None
    text: str
    maxdist: int = 1


@dataclass(frozen=True)
class And:
    """All ``children`` required; ``optional`` children only rank what the others allow."""

    children: tuple[Node, ...]
    optional: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    child: Node


Node = Term | Phrase | Filter | Range | Wildcard | Fuzzy | And | Or | Not




# --- walking ---------------------------------------------------------------------------------


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents first."""
    yield node
    if isinstance(node, And):
        for child in node.children + node.optional:
            yield from walk(child)
    elif isinstance(node, Or):
        for child in node.children:
            yield from walk(child)
    elif isinstance(node, Not):
        yield from walk(node.child)


def is_filter(node: Node) -> bool:
    """A node that restricts (a filter, a range, a filter wildcard, a NOT, a group of them)."""
    if isinstance(node, (Filter, Range)):
        return True
    if isinstance(node, Wildcard) and node.field in FILTER_FIELDS:
        return True
    if isinstance(node, Not):
        return True
    if isinstance(node, (And, Or)):
        kids = node.children + (node.optional if isinstance(node, And) else ())
        return bool(kids) and all(is_filter(c) for c in kids)
    return False


def free_words(tree: Node) -> list[str]:
    """The unfielded words and phrase words of the tree (not under a NOT, not added by an
    expansion), in order."""
    out: list[str] = []
    for node in text_leaves(tree):
        if isinstance(node, Term) and node.field is None and not node.why:
            out.append(node.text)
        elif isinstance(node, Phrase) and node.field is None and not node.why:
            out.extend(node.words)
    return out


def text_leaves(tree: Node) -> list[Node]:
    """The words, phrases, wildcards and fuzzy words of the text fields, outside NOT."""
    out: list[Node] = []

    def visit(node: Node) -> None:
        if isinstance(node, (Term, Phrase, Wildcard, Fuzzy)):
            if node.field is None or node.field in TEXT_FIELDS:
                out.append(node)
        elif isinstance(node, And):
            for c in node.children + node.optional:
                visit(c)
        elif isinstance(node, Or):
            for c in node.children:
                visit(c)

    visit(tree)
    return out


def filters_of(tree: Node) -> list[Filter]:
    return [n for n in walk(tree) if isinstance(n, Filter)]


# --- parsing --------------------------------------------------------------------------------


def shorten(text: str, width: int = 60) -> str:
    """A query as echoed in a message: one line (line breaks shown as spaces, so columns still
    count), at most ``width`` characters."""
    text = re.sub(r"[\n\r\t\v\f\x1c-\x1e\x85\u2028\u2029]", " ", text)
    return text if len(text) <= width else text[:width - 1] + "…"


def _bad(text: str, what: str, hint: str = "check quotes, brackets and field:value pairs") -> BadInput:
    return BadInput(f"cannot parse the query '{shorten(text)}': {what}", hint=hint)


@dataclass
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "item"
    column: int
    node: Node | None = None


_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"


def _number(text: str, raw: str, fieldname: str, column: int) -> float:
    if not re.fullmatch(_NUMBER, raw.strip()):
        raise _bad(text, f"'{shorten(raw, 30)}' at column {column} is not a valid number for {fieldname}:",
                   hint="numbers go in value:/year: (e.g. value:>=1000, year:[2009 TO 2011], year:2009..2011)")
    return float(raw)


def _field_node(text: str, fieldname: str, raw: str, quoted: bool, column: int) -> Node:
    if fieldname in NUMERIC_FIELDS:
        m = re.fullmatch(r"([\[{])\s*(\S+)\s+TO\s+(\S+?)\s*([\]}])", raw) if not quoted else None
        if m:
            lo = None if m.group(2) == "*" else _number(text, m.group(2), fieldname, column)
            hi = None if m.group(3) == "*" else _number(text, m.group(3), fieldname, column)
            return Range(fieldname, lo, hi, m.group(1) == "[", m.group(4) == "]")
        m = re.fullmatch(r"(>=|<=|>|<|=)(.*)", raw)
        if m:
            number = _number(text, m.group(2), fieldname, column)
            op = m.group(1)
            if op == "=":
                return Range(fieldname, number, number)
            if op.startswith(">"):
                return Range(fieldname, number, None, op == ">=", True)
            return Range(fieldname, None, number, True, op == "<=")
        m = re.fullmatch(rf"({_NUMBER})\.\.({_NUMBER})", raw)
        if m:
            return Range(fieldname, float(m.group(1)), float(m.group(2)))
        number = _number(text, raw, fieldname, column)
        return Range(fieldname, number, number)
    if fieldname in TEXT_FIELDS:
        words = raw.split()
        if quoted and words:
            return Phrase(tuple(words), fieldname)
        return _word_node(text, raw, fieldname, column)
    if not quoted and re.search(r"[*?]", raw):
        return Wildcard(fieldname, raw.lower())
    return Filter(fieldname, raw)


def _word_node(text: str, word: str, fieldname: str | None, column: int) -> Node:
    if len(word) > MAX_WORD:
        raise BadInput(f"the word at column {column} of the query is {len(word):,} characters long "
                       f"(at most {MAX_WORD})", hint="search for shorter words")
    m = re.fullmatch(r"(.+?)~(\d*)", word)
    if m and m.group(1):
        dist = int(m.group(2)) if m.group(2) else 1
        if dist > MAX_FUZZY:
            raise _bad(text, f"'{shorten(word, 30)}' at column {column} allows {dist} edits (at most {MAX_FUZZY})",
                       hint=f"use word~ or word~{MAX_FUZZY}")
        return Fuzzy(fieldname, m.group(1).lower(), dist)
    if re.search(r"[*?]", word):
        if not re.sub(r"[*?]", "", word):
            raise _bad(text, f"the wildcard '{word}' at column {column} has no letters",
                       hint="give a few letters before it, e.g. exploit*")
        return Wildcard(fieldname, word.lower())
    return Term(word, fieldname)


_KNOWN_FIELDS = set(QUERY_FIELDS) | set(FIELD_ALIASES) | {"citekey"}


def _field_name(text: str, name: str, column: int) -> str:
    low = name.lower()
    if low in FIELD_ALIASES:
        return FIELD_ALIASES[low]
    if low in _KNOWN_FIELDS:
        return low
    import difflib

    close = difflib.get_close_matches(low, sorted(_KNOWN_FIELDS), n=1)
    hint = f"did you mean '{close[0]}:'?" if close else f"fields: {', '.join(QUERY_FIELDS)}"
    raise BadInput(f"unknown search field '{name}:' at column {column} of the query '{shorten(text)}'", hint=hint)


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    depth: list[int] = []
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        col = i + 1
        if c == "(":
            depth.append(col)
            out.append(_Token("(", col))
            i += 1
            continue
        if c == ")":
            if not depth:
                raise _bad(text, f"')' at column {col} closes no '('")
            depth.pop()
            out.append(_Token(")", col))
            i += 1
            continue
        if c == '"':
            end = text.find('"', i + 1)
            if end < 0:
                raise _bad(text, f"the quote at column {col} is never closed")
            words = text[i + 1:end].split()
            i = end + 1
            if words:
                if any(len(w) > MAX_WORD for w in words):
                    _word_node(text, max(words, key=len), None, col + 1)  # refused: too long
                out.append(_Token("item", col, Phrase(tuple(words))))
            continue
        m = re.match(r"([A-Za-z_]\w*):(?=\S)", text[i:])
        if m:
            fieldname = _field_name(text, m.group(1), col)
            j = i + m.end()
            if text[j] == '"':
                end = text.find('"', j + 1)
                if end < 0:
                    raise _bad(text, f"the quote at column {j + 1} is never closed")
                raw, quoted, i = text[j + 1:end].strip(), True, end + 1
            elif text[j] in "[{":
                end = min([k for k in (text.find("]", j), text.find("}", j)) if k >= 0], default=-1)
                if end < 0:
                    raise _bad(text, f"the range at column {j + 1} is never closed with ']'",
                               hint="write ranges as year:[2009 TO 2011] or year:2009..2011")
                raw, quoted, i = text[j:end + 1], False, end + 1
            else:
                k = j
                while k < n and not text[k].isspace() and text[k] not in "()":
                    k += 1
                raw, quoted, i = text[j:k], False, k
            if not raw:
                raise _bad(text, f"'{m.group(1)}:' at column {col} has no value")
            out.append(_Token("item", col, _field_node(text, fieldname, raw, quoted, col)))
            continue
        k = i
        while k < n and not text[k].isspace() and text[k] not in '()"':
            k += 1
        word = text[i:k]
        i = k
        if word in ("AND", "OR", "NOT"):
            out.append(_Token(word, col))
        elif word.startswith("-") and len(word) > 1:
            out.append(_Token("NOT", col))
            out.append(_Token("item", col + 1, _word_node(text, word[1:], None, col + 1)))
        elif word.startswith("+") and len(word) > 1:
            out.append(_Token("item", col + 1, _word_node(text, word[1:], None, col + 1)))
        else:
            out.append(_Token("item", col, _word_node(text, word, None, col)))
    if depth:
        raise _bad(text, f"the '(' at column {depth[-1]} is never closed")
    return out


class _Parser:
    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text, self.tokens, self.i = text, tokens, 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def group(self, closing: bool) -> Node | None:
        """Juxtaposed items up to ')' or the end: the implicit group."""
        items: list[Node] = []
        while (token := self.peek()) is not None and token.kind != ")":
            if token.kind in ("AND", "OR") and not items:
                self.take()  # a leading operator joins nothing: read as a word-less operator
                continue
            node = self.disjunction()
            if node is not None:
                items.append(node)
        if closing:
            self.take()
        return implicit_group(items)

    def disjunction(self) -> Node | None:
        parts = [self.conjunction()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            if self.peek() is None or self.peek().kind in (")", "OR", "AND"):
                continue
            parts.append(self.conjunction())
        parts = [p for p in parts if p is not None]
        return parts[0] if len(parts) == 1 else Or(tuple(parts)) if parts else None

    def conjunction(self) -> Node | None:
        parts = [self.unary()]
        while (token := self.peek()) is not None and token.kind == "AND":
            self.take()
            if self.peek() is None or self.peek().kind in (")", "OR", "AND"):
                continue
            parts.append(self.unary())
        parts = [p for p in parts if p is not None]
        return parts[0] if len(parts) == 1 else And(tuple(parts)) if parts else None

    def unary(self) -> Node | None:
        token = self.take()
        if token.kind == "NOT":
            if self.peek() is None or self.peek().kind in (")", "OR", "AND"):
                return None
            child = self.unary()
            return Not(child) if child is not None else None
        if token.kind == "(":
            return self.group(closing=True)
        if token.kind == "item":
            return token.node
        return None  # ')' is consumed by group; stray operators are dropped


def implicit_group(items: list[Node]) -> Node | None:
    """Juxtaposed items: positive filters restrict, words rank (see the module docstring)."""
    items = [i for i in items if i is not None]
    if not items:
        return None
    if len(items) == 1:
        return items[0]
    required = [i for i in items if is_filter(i)]
    words = [i for i in items if not is_filter(i)]
    positive = [i for i in required if not isinstance(i, Not)]
    if not words:
        return And(tuple(required))
    if not required:
        return Or(tuple(words))
    if positive:
        return And(tuple(required), tuple(words))
    return And(tuple(required) + (words[0] if len(words) == 1 else Or(tuple(words)),))


def parse(text: str, *, status: str | None = None) -> Node:
    """The tree of a query string; :class:`BadInput` (exit 2) when it cannot be understood.

    ``status`` (the ``--status`` option) adds a required ``Filter('status', ...)``.
    """
    if len(text) > MAX_QUERY:
        raise BadInput(f"the query '{shorten(text)}' is {len(text):,} characters long (at most {MAX_QUERY:,})",
                       hint="search for fewer words")
    if not text.strip():
        raise BadInput("empty search query", hint="give some words, e.g. kb search \"going missing\"")
    tokens = _tokens(text)
    if sum(1 for t in tokens if t.kind == "item") > MAX_NODES:
        raise BadInput(f"the query '{shorten(text)}' has more than {MAX_NODES} words and filters",
                       hint="search for fewer words")
    tree = _Parser(text, tokens).group(closing=False)
    if tree is None:
        raise BadInput(f"the query '{shorten(text)}' has no searchable words",
                       hint="give some words or a field filter, e.g. place:england")
    if status is not None:
        tree = with_filter(tree, Filter("status", status))
    return tree


def with_filter(tree: Node, extra: Node) -> Node:
    """``tree`` restricted by ``extra`` (the free words of ``tree`` still rank only)."""
    if isinstance(tree, And):
        return And(tree.children + (extra,), tree.optional)
    if is_filter(tree):
        return And((tree, extra))
    if isinstance(tree, Or) and not any(is_filter(c) for c in tree.children):
        return And((extra,), tree.children)
    return And((extra,), (tree,))


__all__ = ["MAX_QUERY", "And", "Filter", "Fuzzy", "Node", "Not", "Or", "Phrase", "Range", "Term", "Wildcard",
           "free_words", "is_filter", "parse", "shorten", "text_leaves", "walk", "with_filter"]
