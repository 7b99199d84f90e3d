"""Keep checked catalogue parts (and the parser's tables) on disk, authenticated, so start-up skips loading.

interpreter.store names the entries: one for a catalogue's base and one per card, each keyed by
a hash of every byte it was built from, with the interpreter's fingerprint (its own code and
grammar, its version and Python's) in each key. Any change gives a new key, so a stale entry is
never used; the oldest entries are pruned. The cache is only an optimisation: when it cannot be
read or written, the catalogue is simply loaded.

Entries are pickles, and unpickling runs code: so the cache trusts nothing it did not write itself.
Every entry carries an HMAC-SHA256 made with a per-user secret key kept outside the cache folder
(created with mode 600), and is unpickled only when that HMAC verifies. A folder or file owned by
someone else or writable by others is refused (once, with a warning; the run goes on without the
cache); only regular files are opened, never a FIFO or a device; an entry that does not verify or
holds the wrong kind of object is replaced.

Set CATALOGUE_CACHE_DIR to choose the folder, CATALOGUE_CACHE_KEY for the key file, or
CATALOGUE_NO_CACHE=1 to switch the cache off.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import pickle
import secrets
import stat
import sys
import warnings
from pathlib import Path

from . import __version__
from .files import write_whole

# Entries kept: one per card and one per catalogue base, so enough for a few large catalogues,
# their branches and recent edits; the oldest beyond it are removed.
KEEP = 20_000
CODE = Path(__file__).resolve().parent
GRAMMAR = CODE.parent / "grammar"
SUFFIX = ".entry"
MAGIC = b"reintegration-catalogue cache 2\n"
MAC_SIZE = 32
MAX_ENTRY_BYTES = 256 * 1024 * 1024  # far above a real catalogue; a larger file is not ours


class CacheWarning(UserWarning):
    """The cache folder or key cannot be trusted: the run goes on without the cache."""


_warned: set[str] = set()


def _distrust(message: str) -> None:
    if message not in _warned:  # once per problem and process, not once per load
        _warned.add(message)
        warnings.warn(message + "; going on without the catalogue cache", CacheWarning, stacklevel=3)


def cache_dir() -> Path | None:
    """Where cached catalogues live; None when caching is switched off."""
    if os.environ.get("CATALOGUE_NO_CACHE"):
        return None
    named = os.environ.get("CATALOGUE_CACHE_DIR")
    if named:
        return Path(named)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "reintegration-catalogue"


def key_file() -> Path:
    """The per-user secret that authenticates entries: never inside the cache folder."""
    named = os.environ.get("CATALOGUE_CACHE_KEY")
    if named:
        return Path(named)
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "reintegration-catalogue" / "cache.key"


_fingerprint: list[str] = []


def interpreter_fingerprint() -> str:
    """A hash of the interpreter's own code and grammar, its version and Python's: once per process."""
    if not _fingerprint:
        digest = hashlib.sha256()
        for part in (__version__, sys.version):
            digest.update(part.encode() + b"\0")
        for path in sorted(CODE.glob("*.py")) + sorted(GRAMMAR.glob("*.lark")):
            digest.update(path.relative_to(CODE.parent).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
        _fingerprint.append(digest.hexdigest())
    return _fingerprint[0]


# -- authenticated entries --------------------------------------------------------------------------

def read_object(name: str, kind: type):
    """The object stored under `name` when its entry verifies and holds a `kind`; else None."""
    data = read_bytes(name)
    if data is None:
        return None
    try:
        value = pickle.loads(data)  # only bytes this user's key authenticated: written by write_bytes
    except Exception:  # noqa: BLE001 - written by another version of a class: rebuilt, never fatal
        return None
    return value if isinstance(value, kind) else None


def write_object(name: str, value: object, prune: bool = True) -> None:
    try:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        return
    write_bytes(name, data, prune)


def read_bytes(name: str) -> bytes | None:
    """The payload of entry `name` if it is ours and unchanged: a regular file, owned by this user,
    writable by no one else, whose HMAC verifies. None otherwise (it is then written anew)."""
    folder, key = _trusted_folder(), _key()
    if folder is None or key is None:
        return None
    try:
        descriptor = os.open(folder / (name + SUFFIX), os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None  # absent, a symbolic link, or unreadable
    with os.fdopen(descriptor, "rb") as stream:
        status = os.fstat(stream.fileno())
        if not stat.S_ISREG(status.st_mode) or not _owned(status) or status.st_size > MAX_ENTRY_BYTES:
            return None
        blob = stream.read(MAX_ENTRY_BYTES + 1)
    head, mac, payload = blob[:len(MAGIC)], blob[len(MAGIC):len(MAGIC) + MAC_SIZE], blob[len(MAGIC) + MAC_SIZE:]
    if head != MAGIC or not hmac.compare_digest(mac, _mac(key, name, payload)):
        return None
    return payload


def write_bytes(name: str, payload: bytes, prune: bool = True) -> None:
    """Write atomically (a reader never sees half an entry); failing to write only costs speed."""
    folder, key = _trusted_folder(create=True), _key(create=True)
    if folder is None or key is None:
        return
    try:
        write_whole(folder / (name + SUFFIX), MAGIC + _mac(key, name, payload) + payload, mode=0o600)
        if prune:
            _prune(folder)
    except OSError:
        pass


def _mac(key: bytes, name: str, payload: bytes) -> bytes:
    # The name is authenticated too: an entry copied under another key's name does not verify.
    return hmac.new(key, name.encode() + b"\0" + payload, hashlib.sha256).digest()


def _owned(status: os.stat_result) -> bool:
    """Owned by this user and writable by no one else."""
    return status.st_uid == os.geteuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _trusted_folder(create: bool = False) -> Path | None:
    folder = cache_dir()
    if folder is None:
        return None
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = folder.stat()
    except OSError:
        return None
    if not stat.S_ISDIR(status.st_mode):
        return None
    if not _owned(status):
        _distrust(f"the cache folder {folder} is not owned by you or is writable by others")
        return None
    return folder


def _key(create: bool = False) -> bytes | None:
    """This user's secret key, made on first use (32 random bytes, mode 600, in a folder of mode 700)."""
    path = key_file()
    folder = cache_dir()
    if folder is not None and path.resolve().parent == folder.resolve():
        _distrust(f"the cache key {path} lies inside the cache folder")
        return None
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        return _new_key(path) if create else None
    except OSError:
        _distrust(f"the cache key {path} cannot be read")
        return None
    with os.fdopen(descriptor, "rb") as stream:
        status = os.fstat(stream.fileno())
        if (not stat.S_ISREG(status.st_mode) or status.st_uid != os.geteuid()
                or status.st_mode & (stat.S_IRWXG | stat.S_IRWXO)):
            _distrust(f"the cache key {path} is not a file of yours that only you can read (mode 600)")
            return None
        key = stream.read(64)
    return key if len(key) >= 32 else None


def _new_key(path: Path) -> bytes | None:
    key = secrets.token_bytes(32)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    except FileExistsError:
        return _key()  # another process made it first: use theirs
    except OSError:
        return None
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(key)
    return key


def prune() -> None:
    """Remove the oldest entries beyond KEEP (after writing many entries at once without pruning)."""
    folder = _trusted_folder()
    if folder is not None:
        try:
            _prune(folder)
        except OSError:
            pass


def _prune(directory: Path) -> None:
    entries = []
    for path in directory.iterdir():
        if path.suffix in (SUFFIX, ".pickle") and path.is_file() and not path.is_symlink():
            entries.append((path.stat().st_mtime, path))
    entries.sort(reverse=True)
    for _, old in entries[KEEP:]:
        old.unlink(missing_ok=True)
    for _, old in entries[:KEEP]:
        if old.suffix == ".pickle":  # entries of the unauthenticated format before this one
            old.unlink(missing_ok=True)
