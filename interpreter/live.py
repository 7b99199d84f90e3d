"""A catalogue that follows its folder: edits are loaded and checked in the background and swapped in whole."""
from __future__ import annotations

import datetime as dt
import gc
import logging
import threading
import uuid
from pathlib import Path
from typing import Callable

from .api import Engine
from .catalogue import default_root
from .errors import CatalogueError, ErrorList

log = logging.getLogger("catalogue.live")


def fingerprint(root: Path) -> tuple:
    """What changes when a catalogue file is edited, added or removed: each YAML file's name, time and size."""
    out = []
    for path in sorted(root.rglob("*.yaml")):
        try:
            stat = path.stat()
        except OSError:
            continue  # removed while we looked: the next look sees it gone
        out.append((str(path), stat.st_mtime_ns, stat.st_size))
    return tuple(out)


def error_report(error: CatalogueError) -> list[dict]:
    """Every problem of a failed load, with file, line and column."""
    errors = error.errors if isinstance(error, ErrorList) else [error]
    return [{"file": e.position.file, "line": e.position.line, "column": e.position.column,
             "location": str(e.position), "message": e.message, "hint": e.hint} for e in errors]


class LiveCatalogue:
    """The engine a request should use, and the work of replacing it.

    A request takes `engine` once and keeps that object to the end, so a swap never changes the
    catalogue under a request in flight. A load that fails leaves the last good engine in place.
    """

    def __init__(self, root: Path | str | None = None, backend: str = "compiled",
                 make_engine: Callable[..., Engine] = Engine):
        self.root = Path(root) if root else default_root()
        self.backend = backend
        self.engine: Engine | None = None
        self.loaded_at: dt.datetime | None = None
        self.last_error: dict | None = None  # the last failed reload: when, and every problem
        self.reloads = 0
        self._make_engine = make_engine
        self._seen: tuple | None = None
        self._lock = threading.Lock()  # one load at a time; requests never wait for it
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    def load(self) -> bool:
        """Load and check the folder now; swap the new engine in only when it is good."""
        with self._lock:
            seen = fingerprint(self.root)
            try:
                engine = self._make_engine(self.root, backend=self.backend)
                for editions in engine.catalogue.products.values():
                    for product in editions:  # compiled now, so that no request pays for it
                        engine.compiled(product)
            except CatalogueError as error:
                self._failed(error_report(error), seen)
                return False
            except Exception:  # noqa: BLE001 - a bug while loading must not stop the service
                incident = uuid.uuid4().hex[:12]
                log.exception("reload failed unexpectedly (incident %s)", incident)
                self._failed([{"file": str(self.root), "line": 0, "column": 0, "location": str(self.root),
                               "message": f"unexpected error while loading (incident {incident})",
                               "hint": "see the service's log"}], seen)
                return False
            self.engine = engine  # one assignment: the swap is atomic for every reader
            # The catalogue is thousands of long-lived objects: out of the collector's way, so that the
            # collections a request's garbage starts stay short (the p99 of the service depends on it).
            gc.collect()
            gc.freeze()
            self.loaded_at = dt.datetime.now(dt.timezone.utc)
            self.last_error = None
            self.reloads += 1
            self._seen = seen
            log.info("catalogue %s loaded from %s", engine.catalogue.hash[:16], self.root)
            return True

    def _failed(self, problems: list[dict], seen: tuple) -> None:
        self.last_error = {"at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                           "errors": problems}
        self._seen = seen  # the same broken files are not loaded again and again; the next edit is
        for problem in problems:
            log.warning("catalogue not reloaded: %s: %s", problem["location"], problem["message"])

    def changed(self) -> bool:
        return fingerprint(self.root) != self._seen

    def reload_soon(self) -> None:
        """Load in a background thread (e.g. on SIGHUP); requests go on with the current engine."""
        threading.Thread(target=self.load, name="catalogue-reload", daemon=True).start()

    def watch(self, interval: float = 1.0) -> None:
        """Look at the folder every `interval` seconds and reload when a file changed."""
        if self._watcher is not None:
            return

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    if self.changed():
                        self.load()
                except Exception:  # noqa: BLE001 - the watcher must outlive any one bad look
                    log.exception("watching %s failed once", self.root)

        self._watcher = threading.Thread(target=loop, name="catalogue-watch", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
            self._watcher = None
