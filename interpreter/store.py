"""Per-card loading and caching: one product costs what its card costs, an edit what the edited file costs.

A scan reads the bytes of the catalogue's files (no YAML). The base (settings, vocabulary, calendars
and families: the files every card is checked against) has one cache entry, keyed by those files;
each card has its own, keyed by the base's key and the card's own bytes. So an edit to a card
re-checks that card only, an edit to a shared file every card, and a stale entry can never match:
its key names every byte it was built from.

`open_catalogue` gives a catalogue whose cards are loaded when first asked for: `evaluate` of one
product reads the base and that product's cards. `load_whole` loads every card, from its entry
where it has one; the misses are checked on both cores when there are many. Entries are the
authenticated ones of interpreter.cache; with the cache switched off the same phases simply run.
"""
from __future__ import annotations

import hashlib
import os
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from . import cache
from .errors import CatalogueError, LookupProblem, Position, did_you_mean, raise_once
from .model import Base, Catalogue, Product, edition_on, overlapping_editions
from .yamlsource import card_paths, catalogue_hash, display_path, read_bounded

# A card's code as its first line at the left margin says it; anything less plain is read as YAML.
CODE_LINE = re.compile(rb"^code:[ \t]*([A-Z0-9][A-Z0-9-]*)[ \t]*(?:#[^\n]*)?\r?$", re.M)
PARALLEL_FROM = 48  # cards to check before a second process pays for itself


@dataclass
class Scan:
    """The bytes of every file a catalogue is loaded from, read once per load."""

    root: Path
    shared: dict[Path, bytes]
    cards: dict[Path, bytes]
    code_by_card: dict[Path, str | None]
    odd: bool  # a .yml file, or a card whose code needs YAML to read: then only a whole load can say

    @classmethod
    def of(cls, root: Path) -> "Scan":
        shared = [root / "catalogue.yaml", root / "facts.yaml", root / "words.yaml",
                  *sorted((root / "calendars").glob("*.yaml")), *sorted((root / "families").glob("*.yaml"))]
        contents = {path: _read(path) for path in shared if path.exists()}
        cards = {path: _read(path) for path in card_paths(root)}
        codes = {path: _code_of(text) for path, text in cards.items()}
        odd = None in codes.values() or any(root.rglob("*.yml"))
        return cls(root, contents, cards, codes, odd)

    @property
    def files(self) -> list[Path]:
        return sorted([*self.shared, *self.cards])

    def digest(self) -> str:
        return catalogue_hash(self.root, {**self.shared, **self.cards})

    def base_key(self) -> str:
        digest = hashlib.sha256(b"base\0" + cache.interpreter_fingerprint().encode() + b"\0")
        for part in (str(self.root.resolve()), os.getcwd()):  # positions are shown relative to the cwd
            digest.update(part.encode() + b"\0")
        for path in sorted(self.shared):
            digest.update(path.relative_to(self.root).as_posix().encode() + b"\0" + self.shared[path] + b"\0")
        return "base-" + digest.hexdigest()

    def card_key(self, base_key: str, path: Path) -> str:
        digest = hashlib.sha256(base_key.encode() + b"\0" + path.relative_to(self.root).as_posix().encode() + b"\0")
        digest.update(self.cards[path])
        return "card-" + digest.hexdigest()

    def code_of(self, path: Path) -> str | None:
        return self.code_by_card[path]

    def codes(self) -> list[str]:
        return sorted({code for code in self.code_by_card.values() if code})


def _read(path: Path) -> bytes:
    return read_bounded(path, display_path(path))  # bounded and regular, as the loader reads it


def _code_of(text: bytes) -> str | None:
    """The code on a card's one `code:` line; None when there is not exactly one plain such line."""
    if text.count(b"\ncode:") + text.startswith(b"code:") != 1:
        return None  # counted in C first: a regular expression over every card costs more
    found = CODE_LINE.search(text)
    return found.group(1).decode() if found else None


@dataclass
class _Load:
    """One load in progress: the scan, the base, the problems found and where the entries go."""

    scan: Scan
    base: Base
    base_key: str
    caching: bool
    base_ok: bool
    errors: list[CatalogueError] = field(default_factory=list)
    written: int = 0

    def cards(self, paths: list[Path]) -> dict[Path, Product]:
        """The checked product of each card that has no problem; the problems join `errors`."""
        products: dict[Path, Product] = {}
        misses = []
        for path in paths:
            product = self._cached(path)
            if product is None:
                misses.append(path)
            else:
                products[path] = product
        for path, product, errors in _check_cards(self.scan.root, self.base, misses):
            self.errors.extend(errors)
            if product is not None:
                products[path] = product
                if not errors and self.caching and self.base_ok:
                    cache.write_object(self.scan.card_key(self.base_key, path), product, prune=False)
                    self.written += 1
        return {path: products[path] for path in paths if path in products}

    def _cached(self, path: Path) -> Product | None:
        if not (self.caching and self.base_ok):
            return None
        return cache.read_object(self.scan.card_key(self.base_key, path), Product)

    def done(self) -> None:
        if self.written:
            cache.prune()


def _begin(root: Path) -> _Load:
    scan = Scan.of(root)
    caching = cache.cache_dir() is not None
    base_key = scan.base_key()
    base = cache.read_object(base_key, Base) if caching else None
    if base is not None:
        return _Load(scan, base, base_key, caching, base_ok=True)
    from .loader import Loader  # the parsing and checking pipeline, needed only when an entry is missing
    loader = Loader(root)
    base = loader.load_base()
    if caching and not loader.errors:
        cache.write_object(base_key, base, prune=False)
    return _Load(scan, base, base_key, caching, base_ok=not loader.errors, errors=loader.errors)


def load_whole(root: Path) -> Catalogue:
    """Every card of the catalogue, checked (or from its entry); raises every problem at once."""
    if not root.is_dir():
        from .loader import Loader
        return Loader(root).load()  # says that the folder is missing, with the hint
    load = _begin(root)
    products: dict[str, list[Product]] = {}
    for product in load.cards(list(load.scan.cards)).values():
        products.setdefault(product.code, []).append(product)
    load.done()
    from .loader import Loader
    loader = Loader(root)
    loader.errors.extend(load.errors)
    return loader.finish(load.base, products, files=load.scan.files, digest=load.scan.digest())


def open_catalogue(root: Path | str) -> "LazyCatalogue | Catalogue":
    """A catalogue whose cards are loaded when first needed (a whole one when the folder is unusual)."""
    root = Path(root)
    if not root.is_dir():
        return load_whole(root)
    return LazyCatalogue(root)


class LazyCatalogue:
    """The Catalogue interface, loading the cards of a product only when that product is asked for.

    Anything about the whole catalogue (`products`, `load_whole`) loads and checks every card.
    """

    def __init__(self, root: Path):
        self.root = root
        self._load = _begin(root)
        self._whole: Catalogue | None = None
        if not self._load.base_ok:
            self._whole = load_whole(root)  # the base is broken: this raises every problem of the catalogue
        self._editions: dict[str, list[Product]] = {}
        self._lock = threading.Lock()
        base = self._load.base
        self.vocabulary = base.vocabulary
        self.calendars = base.calendars
        self.families = base.families
        self.files = self._load.scan.files
        self.hash = self._load.scan.digest()

    def load_whole(self) -> Catalogue:
        with self._lock:
            if self._whole is None:
                self._whole = load_whole(self.root)
            return self._whole

    @property
    def products(self) -> dict[str, list[Product]]:
        return self.load_whole().products

    def codes(self) -> list[str]:
        if self._load.scan.odd:
            return self.load_whole().codes()
        return self._load.scan.codes()

    def editions(self, code: str) -> list[Product]:
        """Every edition of product `code`, checked; raises the problems of its cards."""
        if self._whole is not None or self._load.scan.odd:
            return self.load_whole().editions(code)
        with self._lock:
            editions = self._editions.get(code)
            if editions is None:
                editions = self._editions[code] = self._load_code(code)
        return editions

    def product(self, code: str, on=None) -> Product:
        return edition_on(code, self.editions(code), on)

    def _load_code(self, code: str) -> list[Product]:
        scan = self._load.scan
        paths = [path for path in scan.cards if scan.code_of(path) == code]
        if not paths:
            hint = did_you_mean(code, scan.codes(), cutoff=0.5) or "run 'catalogue list' to see the product codes"
            raise LookupProblem(f"unknown product '{code}'", Position("<command line>", 1, 1), hint)
        self._load.errors.clear()
        editions = list(self._load.cards(paths).values())
        self._load.errors.extend(overlapping_editions({code: editions}))
        self._load.done()
        raise_once(self._load.errors)
        return editions


# -- checking many cards on both cores ---------------------------------------------------------------

_WORK: dict = {}


def _check_cards(root: Path, base, paths: list[Path]) -> list[tuple[Path, Product | None, list[CatalogueError]]]:
    if not paths:
        return []  # every card came from its entry: the checking pipeline is not even imported
    if len(paths) >= PARALLEL_FROM and _can_fork():
        checked = _in_two_processes(root, base, [paths[0::2], paths[1::2]])
        order = {path: index for index, path in enumerate(paths)}
        return sorted(checked, key=lambda item: order[item[0]])
    return _check_here(root, base, paths)


def _check_here(root: Path, base, paths: list[Path]):
    from .loader import Loader
    loader = Loader(root)
    checked = []
    for path in paths:
        before = len(loader.errors)
        product = loader.load_card(path, base)
        checked.append((path, product, loader.errors[before:]))
    return checked


def _can_fork() -> bool:
    # Forking a process that runs other threads (the service's watcher) can leave a lock held in the child.
    return (hasattr(os, "fork") and (os.cpu_count() or 1) > 1 and threading.active_count() == 1
            and threading.current_thread() is threading.main_thread())


def _in_two_processes(root: Path, base, halves: list[list[Path]]):
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    _WORK.update(root=root, base=base)  # inherited by the forked workers, never pickled to them
    try:
        with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
            parts = list(pool.map(_check_half, halves))
    except (OSError, RuntimeError):
        return _check_here(root, base, [path for half in halves for path in half])
    finally:
        _WORK.clear()
    return [item for part in parts for item in part]


def _check_half(paths: list[Path]):
    return _check_here(_WORK["root"], _WORK["base"], paths)


__all__ = ["open_catalogue", "load_whole", "LazyCatalogue", "Scan"]
