"""Shared fixtures: the fixture catalogue (and the bundled one, for its invariants) loaded once, and where the source documents are."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from interpreter.api import Engine
from interpreter.loader import Loader

REPO = Path(__file__).resolve().parent.parent

# The tests load hundreds of small catalogues: keep their cache entries out of the user's ~/.cache.
if "CATALOGUE_CACHE_DIR" not in os.environ:
    os.environ["CATALOGUE_CACHE_DIR"] = tempfile.mkdtemp(prefix="catalogue-test-cache-")
# ... and their cache key (kept outside the cache folder) out of the user's ~/.config.
if "CATALOGUE_CACHE_KEY" not in os.environ:
    os.environ["CATALOGUE_CACHE_KEY"] = os.path.join(tempfile.mkdtemp(prefix="catalogue-test-key-"), "cache.key")


# The engine's tests run on a frozen copy of today's cards (tests/fixtures/README.md), so that a
# policy edit to catalogue/ never breaks them; so do the CLI and Engine() when no catalogue is named.
from cards import BUNDLED, FIXTURE, client_on  # noqa: E402  (after the cache settings above)

os.environ["CATALOGUE_DIR"] = str(FIXTURE)


@pytest.fixture(scope="session")
def catalogue_root() -> Path:
    return FIXTURE


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine(FIXTURE)


@pytest.fixture(scope="session")
def bundled() -> Engine:
    """The bundled catalogue itself (or $CATALOGUE_UNDER_TEST): only for the tests of its own promises."""
    return Engine(BUNDLED)


@pytest.fixture(scope="module")
def fixture_client():
    """A TestClient of the HTTP service on the fixture catalogue."""
    return client_on(FIXTURE)


@pytest.fixture
def checked(monkeypatch) -> list[str]:
    """The names of the card files parsed and checked from here on (not read from the cache), in order."""
    names: list[str] = []
    original = Loader.load_card

    def counting(self, path, base):
        names.append(path.name)
        return original(self, path, base)

    monkeypatch.setattr(Loader, "load_card", counting)
    return names


def sources_dir() -> Path | None:
    """The source documents: $CATALOGUE_SOURCES, else ../shared/sources beside the checkout."""
    named = os.environ.get("CATALOGUE_SOURCES")
    candidates = [Path(named)] if named else []
    candidates.append(REPO.parent / "shared" / "sources")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return None
