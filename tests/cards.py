"""Small catalogues for tests: the bundled vocabulary, calendars and families, with test cards of their own."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

from click.testing import CliRunner

import cli
from interpreter import catalogue as _catalogue
from interpreter.catalogue import load_catalogue

# The frozen copy of the bundled catalogue the engine's tests run on (tests/fixtures/README.md).
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "catalogue"

# The catalogue whose own promises the invariant tests check (its YAML tests, quotes, examples,
# schemas): catalogue/, or an edited copy named in $CATALOGUE_UNDER_TEST, which is how
# test_acceptance.py runs the suite on a policy edit without touching catalogue/.
BUNDLED = Path(os.environ.get("CATALOGUE_UNDER_TEST") or _catalogue.BUNDLED)
from interpreter.errors import CatalogueError, ErrorList

CARD_HEAD = (
    "code: T-1\n"                # line 1
    "title: Test card\n"         # line 2
    "source:\n"                  # line 3
    "  document: test.txt\n"     # line 4
    '  section: "1"\n'           # line 5
    "edition:\n"                 # line 6
    "  name: Test edition\n"     # line 7
)


def catalogue_with(tmp_path: Path, source: Path, cards: dict[str, str],
                   families: dict[str, str] | None = None) -> Path:
    """The catalogue at `source` with its products replaced by the given cards (and families added)."""
    root = tmp_path / "catalogue"
    shutil.copytree(source, root)
    shutil.rmtree(root / "products")
    (root / "products").mkdir()
    for name, text in cards.items():
        (root / "products" / name).write_text(text, encoding="utf-8")
    for name, text in (families or {}).items():
        (root / "families" / name).write_text(text, encoding="utf-8")
    return root


def load_errors(root: Path) -> list[CatalogueError]:
    """Every error loading the catalogue raises; empty when it loads."""
    try:
        load_catalogue(root)
    except ErrorList as errors:
        return errors.errors
    except CatalogueError as error:
        return [error]
    return []


def copy_bundled(tmp_path: Path, name: str = "cat") -> Path:
    """A private copy of the fixture catalogue (today's cards, frozen), free to edit."""
    root = tmp_path / name
    shutil.copytree(FIXTURE, root)
    return root


def invoke(*args, input: str | None = None):
    """Run the command line in-process, as a user would type it."""
    return CliRunner().invoke(cli.main, [str(a) for a in args], input=input)


# The smallest card a service test needs: "Het plan moet binnen 56 kalenderdagen na aanmelding zijn
# ingediend." (registered_on + 56 days). Used with card_engine.
PLAN_CARD = """\
  valid_from: 2016-01-01
deadlines:
  plan_due:
    label: Plan ingediend
    due: registered_on + 56 days
"""


def card_engine(tmp_path: Path, body: str):
    """An engine on a catalogue with the bundled vocabulary, words and calendars and one card T-1 (CARD_HEAD + body)."""
    import textwrap

    from interpreter.api import Engine

    root = tmp_path / "cat"
    root.mkdir()
    for name in ("catalogue.yaml", "facts.yaml", "words.yaml"):
        shutil.copy(FIXTURE / name, root / name)
    shutil.copytree(FIXTURE / "calendars", root / "calendars")
    (root / "families").mkdir()
    (root / "products").mkdir()
    (root / "products" / "T-1.yaml").write_text(CARD_HEAD + textwrap.dedent(body), encoding="utf-8")
    return Engine(root)
