"""Files that appear whole or not at all: written beside their place, renamed over it at the end."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

# What a caller makes of a failed write (its own error type, naming the file); by default the OSError itself.
OnError = Callable[[Path, OSError], Exception]


def _as_is(path: Path, error: OSError) -> Exception:
    return error


class AtomicFile:
    """A file that appears whole or not at all: written beside its place, renamed at the end.

    `mode` is the new file's permissions; without it an existing file keeps its own and a new one
    gets those of any new file. A reader never sees half a file, and an error or Ctrl-C while
    writing leaves the old file (or none) and no temporary file behind.
    """

    def __init__(self, path: Path, mode: int | None = None, on_error: OnError = _as_is):
        self.path = path
        self.on_error = on_error
        folder = path.parent
        try:
            handle, self.temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
        except OSError as error:
            raise on_error(path, error) from None
        try:
            os.chmod(self.temporary, _mode_for(path) if mode is None else mode)
        except OSError:
            pass  # the temporary file's own mode is still safe
        self.file = os.fdopen(handle, "wb", buffering=1 << 20)

    def write(self, data: bytes) -> None:
        try:
            self.file.write(data)
        except OSError as error:
            raise self.on_error(self.path, error) from None

    def handover(self) -> tuple[int, int]:
        """The file descriptor and the offset from which other processes write into the file themselves
        (batch's workers, with os.pwrite at their own places)."""
        try:
            self.file.flush()
        except OSError as error:
            raise self.on_error(self.path, error) from None
        return self.file.fileno(), self.file.tell()

    def take_back(self, end: int) -> None:
        """After the others' writes: this file continues at `end`."""
        self.file.seek(end)

    def __enter__(self) -> "AtomicFile":
        return self

    def __exit__(self, kind, error, traceback) -> None:
        if kind is not None:  # a fatal error or Ctrl-C: leave nothing half-written
            self._discard()
            return
        try:
            self.file.close()
            os.replace(self.temporary, self.path)
        except OSError as problem:
            self._discard()
            raise self.on_error(self.path, problem) from None

    def _discard(self) -> None:
        try:
            self.file.close()
        except OSError:
            pass  # e.g. the disk is full: the file goes anyway
        try:
            os.unlink(self.temporary)
        except OSError:
            pass


def write_whole(path: Path, data: bytes | str, mode: int | None = None) -> None:
    """Write `data` (text as UTF-8) to `path` through an AtomicFile; raises OSError."""
    with AtomicFile(path, mode) as stream:
        stream.write(data.encode("utf-8") if isinstance(data, str) else data)


def _mode_for(path: Path) -> int:
    """An existing file keeps its permissions; a new one gets those of any new file (mkstemp gives 0600)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        mask = os.umask(0)
        os.umask(mask)
        return 0o666 & ~mask
