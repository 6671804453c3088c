"""The domain thesaurus (``kb/data/thesaurus.yaml`` plus a base's own ``thesaurus.yaml``).

Loads and validates the file (every error names the file and line, exit 2), compiles
it into a term -> expansions table once per process, and offers it to the query tree
as an :data:`Expander`: for the free words of a query it says which spans may also be
matched by which other terms, at which weight, and why. The file's header is the
specification of the matching rules; in short: case, punctuation, apostrophes and
hyphens are ignored, the longest term wins, a term's expansions are the union of its
entries at the highest weight, expansion is one step, and a number term only matches
a whole number.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from kb.errors import BadInput
from kb.search.expansion import Alternative, Expander

logger = logging.getLogger(__name__)

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "data" / "thesaurus.yaml"
BASE_FILE = "thesaurus.yaml"
KEYS = ("weights", "groups", "near", "narrower")
WEIGHT_KINDS = ("synonym", "near", "narrower")
_WHY = {"synonym": "synonym of", "near": "near", "narrower": "part of"}

_APOSTROPHES = re.compile(r"['\u2019\u2018`]")
_SEPARATORS = re.compile(r"[^\w]+|_")




def normalize(text: str) -> tuple[str, ...]:
    """The tokens a term or query text matches as: lower case, apostrophes dropped,
    hyphens and other punctuation as word breaks ("Barnardo's" -> ``("barnardos",)``)."""
    return tuple(t for t in _SEPARATORS.split(_APOSTROPHES.sub("", text.casefold())) if t)


@dataclass
class Thesaurus:
    """A compiled thesaurus: each normalized term points at the entries naming it; a term's
    expansions are worked out the first time a query uses it (loading stays a few ms)."""

    weights: dict[str, float]
    entries: list[tuple[str, list[str], list[str]]] = field(default_factory=list)
    """(kind, the terms that find it, the terms it adds): a group gives both the same list."""
    index: dict[tuple[str, ...], list[int]] = field(default_factory=dict)
    longest: int = 1
    _cache: dict[tuple[str, ...], dict[str, tuple[float, str, str]]] = field(default_factory=dict, repr=False)

    def _entry(self, kind: str, keys: list[str], terms: list[str]) -> None:
        number = len(self.entries)
        self.entries.append((kind, keys, terms))
        for key in keys:
            tokens = normalize(key)
            if tokens:
                self.index.setdefault(tokens, []).append(number)
                self.longest = max(self.longest, len(tokens))

    def add_entries(self, groups: list[list[str]], near: list[list[str]], narrower: dict[str, list[str]]) -> None:
        for kind, lists in (("synonym", groups), ("near", near)):
            for terms in lists:
                self._entry(kind, terms, terms)
        for broad, parts in narrower.items():
            self._entry("narrower", [broad], parts)

    def words(self) -> frozenset[str]:
        """Every normalized word of every term: real words of the field, never "misspelt"."""
        return frozenset(token for _, keys, terms in self.entries for term in (*keys, *terms)
                         for token in normalize(term))

    def expansions(self, key: tuple[str, ...]) -> dict[str, tuple[float, str, str]]:
        """Expansion as written -> (weight, kind, the term of the file that matched), the
        union over every entry naming ``key``, each at its highest weight, one spelling per
        normalized form, never ``key`` itself."""
        if key in self._cache:
            return self._cache[key]
        found: dict[tuple[str, ...], tuple[str, float, str, str]] = {}
        for number in self.index.get(key, ()):
            kind, keys, terms = self.entries[number]
            weight = self.weights[kind]
            source = next(k for k in keys if normalize(k) == key)
            for term in terms:
                norm = normalize(term)
                if norm and norm != key and (norm not in found or found[norm][1] < weight):
                    found[norm] = (term, weight, kind, source)
        result = {term: (weight, kind, source) for term, weight, kind, source in found.values()}
        self._cache[key] = result
        return result

    def expand(self, words: list[str]) -> list[Alternative]:
        """The :data:`Expander` of this thesaurus (see the module docstring)."""
        tokens: list[str] = []
        word_of: list[int] = []
        first_of: dict[int, int] = {}
        for i, word in enumerate(words):
            first_of[i] = len(tokens)
            for token in normalize(word):
                tokens.append(token)
                word_of.append(i)
        spans: list[tuple[int, int]] = []
        for size in range(min(self.longest, len(tokens)), 0, -1):
            for start in range(len(tokens) - size + 1):
                end = start + size
                if any(s < end and start < e for s, e in spans):
                    continue
                key = tuple(tokens[start:end])
                if key not in self.index or not self._whole(start, end, tokens, word_of, first_of):
                    continue
                spans.append((start, end))
        alternatives: list[Alternative] = []
        for start, end in sorted(spans):
            key = tuple(tokens[start:end])
            by_kind: dict[str, list[str]] = {}
            sources: dict[str, list[str]] = {}
            for expansion, (_, kind, source) in self.expansions(key).items():
                by_kind.setdefault(kind, []).append(expansion)
                if source not in sources.setdefault(kind, []):
                    sources[kind].append(source)
            for kind in WEIGHT_KINDS:
                if kind in by_kind:
                    said = " / ".join(f"'{s}'" for s in sources[kind])
                    alternatives.append(Alternative(word_of[start], word_of[end - 1] + 1, by_kind[kind],
                                                    self.weights[kind], f"{_WHY[kind]} {said}"))
        return alternatives

    @staticmethod
    def _whole(start: int, end: int, tokens: list[str], word_of: list[int], first_of: dict[int, int]) -> bool:
        """A match begins and ends on word boundaries when it starts or ends with a number,
        so "11" never matches inside "2010-11"; words may match inside "after-school"."""
        if tokens[start].isdigit() and first_of[word_of[start]] != start:
            return False
        last = end - 1
        if tokens[last].isdigit() and last + 1 < len(tokens) and word_of[last + 1] == word_of[last]:
            return False
        return True


# ---------------------------------------------------------------- reading the files

def _fail(path: Path, node: object | None, message: str) -> BadInput:
    line = getattr(getattr(node, "start_mark", None), "line", None)
    where = f"{path}, line {line + 1}" if line is not None else str(path)
    return BadInput(f"{where}: {message}", hint=f"fix {path.name} (its header documents the format)")


def _strings(path: Path, node: object, what: str) -> list[str]:
    import yaml

    if not isinstance(node, yaml.SequenceNode):
        raise _fail(path, node, f"{what} must be a list of words or phrases")
    terms = []
    for item in node.value:
        if not isinstance(item, yaml.ScalarNode) or not item.value.strip():
            raise _fail(path, item, f"{what}: every term must be a non-empty word or phrase")
        terms.append(" ".join(item.value.split()))
    return terms


def read_file(path: Path, *, complete: bool) -> tuple[dict[str, float], list[list[str]], list[list[str]], dict[str, list[str]]]:
    """Validate one thesaurus file; ``complete`` (the default file) requires all four keys."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: cannot read the thesaurus ({exc})") from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        root = yaml.compose(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _fail(path, type("N", (), {"start_mark": mark})() if mark else None,
                    f"not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if root is None and not complete:
        return {}, [], [], {}
    if not isinstance(root, yaml.MappingNode):
        raise _fail(path, root, f"the thesaurus must be a mapping with the keys {', '.join(KEYS)}")
    found: dict[str, object] = {}
    for key, value in root.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name not in KEYS:
            raise _fail(path, key, f"unknown key {name!r}; the keys are {', '.join(KEYS)}")
        if name in found:
            raise _fail(path, key, f"key {name!r} appears twice")
        found[name] = value
    missing = [k for k in KEYS if k not in found]
    if complete and missing:
        raise _fail(path, root, f"missing key(s) {', '.join(missing)}")

    weights: dict[str, float] = {}
    if "weights" in found:
        node = found["weights"]
        if not isinstance(node, yaml.MappingNode):
            raise _fail(path, node, f"'weights' must map {', '.join(WEIGHT_KINDS)} to numbers")
        for key, value in node.value:
            if key.value not in WEIGHT_KINDS:
                raise _fail(path, key, f"unknown weight {key.value!r}; the weights are {', '.join(WEIGHT_KINDS)}")
            try:
                weight = float(value.value) if isinstance(value, yaml.ScalarNode) else -1.0
            except ValueError:
                weight = -1.0
            if not 0 < weight < 1:
                raise _fail(path, value, f"weight {key.value!r} must be a number above 0 and below 1 (an exact word weighs 1)")
            weights[key.value] = weight
        if complete and set(weights) != set(WEIGHT_KINDS):
            raise _fail(path, node, f"'weights' must give all of {', '.join(WEIGHT_KINDS)}")

    lists: dict[str, list[list[str]]] = {}
    for name in ("groups", "near"):
        node = found.get(name)
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
            lists[name] = []
            continue
        if not isinstance(node, yaml.SequenceNode):
            raise _fail(path, node, f"'{name}' must be a list of lists of terms")
        entries = []
        for entry in node.value:
            terms = _strings(path, entry, f"an entry of '{name}'")
            if len(terms) < 2:
                raise _fail(path, entry, f"an entry of '{name}' needs at least two terms")
            entries.append(terms)
        lists[name] = entries

    narrower: dict[str, list[str]] = {}
    node = found.get("narrower")
    if node is not None and not (isinstance(node, yaml.ScalarNode) and node.tag.endswith(":null")):
        if not isinstance(node, yaml.MappingNode):
            raise _fail(path, node, "'narrower' must map a broad term to a list of its parts")
        for key, value in node.value:
            if not isinstance(key, yaml.ScalarNode) or not key.value.strip():
                raise _fail(path, key, "a broad term in 'narrower' must be a word or phrase")
            parts = _strings(path, value, f"the parts of {key.value!r}")
            if not parts:
                raise _fail(path, value, f"the parts of {key.value!r} must not be empty")
            narrower.setdefault(" ".join(key.value.split()), []).extend(parts)
    return weights, lists["groups"], lists["near"], narrower


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def load_thesaurus(root: Path | None = None) -> Thesaurus:
    """The default thesaurus extended by ``root/thesaurus.yaml`` when the base has one.

    Cached per process, keyed by the files' modification times, so a long-lived caller
    sees an edited file. Raises :class:`BadInput` naming the file and line of an error.
    """
    extra = (Path(root) / BASE_FILE).resolve() if root is not None else None
    if extra is not None and (extra == DEFAULT_PATH or not extra.is_file()):
        extra = None
    return _load(_stamp(DEFAULT_PATH), extra, _stamp(extra) if extra else None)


@lru_cache(maxsize=8)
def _load(default_stamp: object, extra: Path | None, extra_stamp: object) -> Thesaurus:
    key = json.dumps([str(DEFAULT_PATH), default_stamp, str(extra) if extra else None, extra_stamp, _CACHE_VERSION])
    cache = _cache_path(key)
    parts = _read_cache(cache, key)
    if parts is None:
        parts = _read_sources(extra)
        _write_cache(cache, key, parts)
    thesaurus = Thesaurus(parts["weights"])
    thesaurus.add_entries(parts["groups"], parts["near"], parts["narrower"])
    return thesaurus


def _read_sources(extra: Path | None) -> dict[str, Any]:
    weights, groups, near, narrower = read_file(DEFAULT_PATH, complete=True)
    if extra is not None:
        more_weights, more_groups, more_near, more_narrower = read_file(extra, complete=False)
        weights = {**weights, **more_weights}
        groups, near = groups + more_groups, near + more_near
        narrower = {k: list(v) for k, v in narrower.items()}
        for broad, parts in more_narrower.items():
            narrower.setdefault(broad, []).extend(parts)
    return {"weights": weights, "groups": groups, "near": near, "narrower": narrower}


# A validated thesaurus is kept as JSON in the user's cache, keyed by the files' paths,
# sizes and modification times: reading it skips importing PyYAML (~18 ms of a cold
# `kb search`). A missing, stale, corrupt or unwritable cache only costs that time.
_CACHE_VERSION = 1


def _cache_path(key: str) -> Path:
    from kb.store.locate import user_cache_dir

    return user_cache_dir() / "thesaurus" / f"{hashlib.sha256(key.encode()).hexdigest()[:20]}.json"


def _read_cache(path: Path, key: str) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("key") != key:
        return None
    parts = data.get("thesaurus")
    ok = (isinstance(parts, dict) and isinstance(parts.get("weights"), dict)
          and all(isinstance(parts.get(k), list) for k in ("groups", "near"))
          and isinstance(parts.get("narrower"), dict))
    return parts if ok else None


def _write_cache(path: Path, key: str, parts: dict[str, Any]) -> None:
    from kb.errors import KbError
    from kb.store.fileio import atomic_write_text

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(path, json.dumps({"key": key, "thesaurus": parts}, ensure_ascii=False))
    except (OSError, KbError) as exc:
        logger.debug("thesaurus cache not written: %s", exc)


def make_thesaurus_expander(root: Path | None = None) -> Expander:
    """An :data:`Expander` for a base: its thesaurus loaded now (errors surface at once)."""
    return load_thesaurus(root).expand
