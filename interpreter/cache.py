"""Keep checked catalogues on disk, keyed by a hash of their files and of the interpreter, so start-up skips loading.

The key covers every YAML file of the catalogue (test files aside: they do not change what is
loaded), the interpreter's own code and grammar, the Python version, the catalogue's folder and
the working directory (positions in messages are shown relative to it). Any change gives a new
key, so a stale entry is never used; old entries are pruned. The cache is only an optimisation:
when it cannot be read or written, the catalogue is simply loaded.

Set CATALOGUE_CACHE_DIR to choose the folder, or CATALOGUE_NO_CACHE=1 to switch it off.
"""
from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path
from typing import Callable

from . import __version__

KEEP = 16  # entries kept: enough for a few catalogues and branches, small on disk
CODE = Path(__file__).resolve().parent
GRAMMAR = CODE.parent / "grammar"


def cache_dir() -> Path | None:
    """Where cached catalogues live; None when caching is switched off."""
    if os.environ.get("CATALOGUE_NO_CACHE"):
        return None
    named = os.environ.get("CATALOGUE_CACHE_DIR")
    if named:
        return Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "reintegration-catalogue"


def catalogue_key(root: Path) -> str:
    """A hash of everything the loaded catalogue depends on."""
    digest = hashlib.sha256()
    for part in (__version__, sys.version, str(root.resolve()), os.getcwd()):
        digest.update(part.encode() + b"\0")
    code = sorted(CODE.glob("*.py")) + sorted(GRAMMAR.glob("*.lark"))
    files = sorted(path for path in root.rglob("*.yaml") if not path.name.endswith(".tests.yaml"))
    for base, paths in ((CODE.parent, code), (root, files)):
        for path in paths:
            digest.update(path.relative_to(base).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def cached_load(root: Path, load: Callable[[Path], object]):
    """The catalogue at `root` from the cache when its key matches, else `load(root)`, then cached."""
    directory = cache_dir()
    if directory is None or not root.is_dir():
        return load(root)
    try:
        entry = directory / f"{catalogue_key(root)}.pickle"
    except OSError:
        return load(root)  # an unreadable file: the loader says which, with its position
    catalogue = _read(entry)
    if catalogue is None:
        catalogue = load(root)
        _write(entry, catalogue)
    return catalogue


def _read(entry: Path):
    try:
        with entry.open("rb") as stream:
            return pickle.load(stream)
    except FileNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a damaged entry (cut short, other Python) is rebuilt, never fatal
        return None


def _write(entry: Path, catalogue) -> None:
    """Write atomically (a reader never sees half an entry); failing to write only costs speed."""
    temporary = None
    try:
        entry.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=entry.parent, prefix=".tmp-", delete=False) as stream:
            temporary = Path(stream.name)
            pickle.dump(catalogue, stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, entry)
        temporary = None
        _prune(entry.parent)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def _prune(directory: Path) -> None:
    entries = sorted(directory.glob("*.pickle"), key=lambda path: path.stat().st_mtime, reverse=True)
    for old in entries[KEEP:]:
        old.unlink(missing_ok=True)
