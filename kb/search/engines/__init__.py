"""Search engines behind one protocol: kb's query tree in, candidates out.

:mod:`kb.search.searcher` parses a query once into kb's tree (:mod:`kb.search.query`),
expands it, asks an engine for its best candidates and an exact count, re-scores them
(:mod:`kb.search.ranking`) and renders hits. An engine owns its files under the base's
index directory and keeps them fresh (:meth:`Engine.run` refreshes first).

The base chooses its engine in ``kb.yaml`` (:mod:`kb.store.config`); Whoosh is the default.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, TypeVar

from kb.search.query import Node
from kb.search.ranking import Candidate

T = TypeVar("T")
Notice = Callable[[str], None]
Progress = Callable[[int, int], None]


class Session(Protocol):
    """An open, fresh index of one engine (valid inside :meth:`Engine.run`)."""

    def search(self, tree: Node, depth: int | None) -> list[Candidate]:
        """The best ``depth`` matches (all when None), engine score order, with stored values and
        the query words each holds (``Candidate.matched``)."""

    def count(self, tree: Node) -> int:
        """How many claims match, exactly."""

    def stored(self, tree: Node) -> list[dict[str, Any]]:
        """The stored values of every match (for facets)."""

    def terms(self, tree: Node) -> int:
        """How many of the query's single words (per text field) the index holds (coordination)."""

    def highlight_terms(self, tree: Node) -> set[str]:
        """The query's words and phrase words as the statement field indexes them."""

    def highlights(self, text: str, terms: set[str]) -> list[tuple[int, int]]:
        """Character spans of ``text`` whose indexed form is one of ``terms``."""

    def words(self) -> list[str]:
        """Every word of the statements and quotes as written, sorted (suggestions, wildcards)."""

    def values(self, fieldname: str) -> list[str]:
        """The values a filter field holds (slugs for places and topics)."""

    def vocabulary(self) -> dict[str, dict[str, str]]:
        """The vocabulary's descriptions by field ('kind', 'place', 'topic') -> value -> description."""

    def stem(self, text: str) -> str:
        """A phrase's indexed words joined by '-' (stop words kept)."""


class Engine(Protocol):
    name: str

    def run(self, work: Callable[[Session], T]) -> T:
        """Open the index (refreshed from the files first; healed when damaged) and run ``work``."""

    def build(self, *, rebuild: bool = False) -> Any:
        """``kb index``: bring the index up to date (``rebuild``: start over); returns a report
        with ``claims``, ``indexed``, ``removed``, ``files_parsed``, ``rebuilt``, ``seconds``."""


ENGINES = ("whoosh", "tantivy")


def open_engine(root: Path, index_dir: Path | None = None, *, name: str | None = None,
                notice: Notice | None = None, progress: Progress | None = None) -> Engine:
    """The engine the base at ``root`` chooses (``kb.yaml``), or ``name``."""
    if index_dir is None:
        from kb.store.locate import index_dir_for

        index_dir = index_dir_for(root)
    if name is None:
        from kb.store.config import read_config

        name = read_config(root).engine
    if name == "tantivy":
        from kb.search.engines.tantivy import TantivyEngine

        return TantivyEngine(root, index_dir / "tantivy", notice=notice, progress=progress)
    from kb.search.engines.whoosh import WhooshEngine

    return WhooshEngine(root, index_dir, notice=notice, progress=progress)
