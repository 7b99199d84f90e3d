"""Where a catalogue is and how to get one: from the on-disk cache when its files are unchanged, else loaded."""
from __future__ import annotations

import os
from pathlib import Path

from .model import Catalogue, Fact, Vocabulary, Words  # noqa: F401  (the catalogue's types, where users import them)

BUNDLED = Path(__file__).resolve().parent.parent / "catalogue"


def default_root() -> Path:
    """The catalogue used when none is named: $CATALOGUE_DIR, else the bundled one."""
    named = os.environ.get("CATALOGUE_DIR")
    return Path(named) if named else BUNDLED


def load_catalogue(root: Path | str | None = None, cache: bool = True) -> Catalogue:
    """Load and check a whole catalogue; raises every problem found at once.

    With `cache`, a catalogue whose files (and interpreter) are unchanged since the last load comes
    from the on-disk cache instead (see interpreter.cache); that skips YAML, schema, parsing and checking.
    """
    root = Path(root) if root else default_root()
    if cache:
        from .store import load_whole  # per card: only what changed since the last load is checked again
        return load_whole(root)
    return _load(root)


def _load(root: Path) -> Catalogue:
    from .loader import Loader  # the whole load pipeline: only imported when the cache cannot help
    return Loader(root).load()
