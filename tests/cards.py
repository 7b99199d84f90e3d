"""Small catalogues for tests (the fixture's vocabulary, calendars and families, with test cards of their own), and the service on them."""
from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml
from click.testing import CliRunner

import cli
from interpreter import catalogue as _catalogue
from interpreter.catalogue import load_catalogue
from interpreter.errors import CatalogueError, ErrorList

# The frozen copy of the bundled catalogue the engine's tests run on (tests/fixtures/README.md).
REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "catalogue"
# Case files for the fixture's products, named after them (u-xr-case.yaml is a case of U-XR).
CASES = FIXTURE.parent / "cases"
# The bundled code each fixture card was frozen from -> its code in the fixture.
FROZEN_FROM: dict[str, str] = yaml.safe_load((FIXTURE.parent / "codes.yaml").read_text(encoding="utf-8"))

# The catalogue whose own promises the invariant tests check (its YAML tests, quotes, examples,
# schemas): catalogue/, or an edited copy named in $CATALOGUE_UNDER_TEST, which is how
# test_acceptance.py runs the suite on a policy edit without touching catalogue/.
BUNDLED = Path(os.environ.get("CATALOGUE_UNDER_TEST") or _catalogue.BUNDLED)

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


def copy_fixture(tmp_path: Path, name: str = "cat") -> Path:
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
    """An engine on a catalogue with the fixture's vocabulary, words and calendars and one card T-1 (CARD_HEAD + body)."""
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


# The plan deadline (registered_on + 56 days) and a split of the price up to its parts, which each
# test writes as it needs them (indented six spaces); eleven lines.
PLAN_AND_FEE = """\
deadlines:
  plan_due:
    label: Plan ingediend
    due: registered_on + 56 days
    met_by: plan_submitted_on
payments:
  fee:
    label: Prijs
    base: price
    parts:
"""


# A card body with the plan deadline and the price split the service tests compute by hand, each rule
# quoting the sentence it is read from:
# "Het plan moet binnen 56 kalenderdagen na aanmelding zijn ingediend." (plan_due = registered_on + 56 days)
# "60% bij akkoord plan, 40% bij werkhervatting." (a split of the price)
QUOTED_PLAN_CARD = """\
  valid_from: 2016-01-01
deadlines:
  plan_due:
    label: Plan ingediend
    due: registered_on + 56 days
    met_by: plan_submitted_on
    source: {section: "§2", quote: "Het plan moet binnen 56 kalenderdagen na aanmelding zijn ingediend."}
payments:
  split:
    label: Betaling
    base: price
    source: {section: "§3", quote: "60% bij akkoord plan, 40% bij werkhervatting."}
    parts:
      first: {label: Eerste deel, share: 60%, on: plan_approved_on}
      second: {label: Tweede deel, share: 40%, on: work_resumed_on}
"""

# The split of 000 §5.2 (Resultaatfinanciering of the innovative trajectory) as a decision table:
# "No cure less pay in de verhouding 60 procent inspanningsverplichting en 40 procent
# resultaatsverplichting." / "Voor klanten die voldoen aan het Protocol Zeer Moeilijk Plaatsbaar geldt de
# verhouding 80 procent inspanningsverplichting en 20 procent resultaatsverplichting." / "... kan een
# re-integratietraject op basis van full pay betaald worden." Eleven lines; the rows are its last three,
# their '[' at column 9.
SPLIT_TABLE = """\
tables:
  split:
    label: Verdeling
    inputs:
      full_pay: full_pay ?? false
      hard_to_place: hard_to_place
    outputs:
      effort_share: Inspanningsdeel
      result_share: Resultaatdeel
    rows:
      - [false, false, 60%, 40%]
      - [false, true, 80%, 20%]
      - [true, -, 100%, 0%]
"""


def service_client(live, **settings):
    """A TestClient of the HTTP service on a loaded LiveCatalogue, server errors answered as a client sees them."""
    from fastapi.testclient import TestClient

    from interpreter.service import Settings, create_app

    return TestClient(create_app(Settings(root=live.root, watch=False, **settings), live),
                      raise_server_exceptions=False)


def client_on(root: Path, **settings):
    """A TestClient of the HTTP service on the catalogue at `root`, loaded first."""
    from interpreter.live import LiveCatalogue

    live = LiveCatalogue(root)
    assert live.load()
    return service_client(live, **settings)


def free_port() -> int:
    """A loopback port nobody listens on now."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, seconds: float = 60.0, step: float = 0.1):
    """The first true value of check(), asked every `step` seconds; a refused connection counts as false."""
    import time

    import httpx

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = check()
        except httpx.TransportError:
            value = None
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"not within {seconds} s")


@contextlib.contextmanager
def serving(root: Path, folder: Path, *options: str):
    """`catalogue serve` on the catalogue at `root` as a subprocess on a free loopback port, its output
    in folder/server.log; yields (an httpx client on it, the process) once it is ready, and stops it."""
    import httpx

    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # the tests' own cache folder (conftest) comes along
    with open(folder / "server.log", "wb") as log:
        process = subprocess.Popen([sys.executable, "-c", "import cli; cli.run()", "serve", "--catalogue", str(root),
                                    "--port", str(port), *options],
                                   cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
        try:
            wait_until(lambda: process.poll() is not None or client.get("/readyz").status_code == 200)
            assert process.poll() is None, (folder / "server.log").read_text()
            yield client, process
        finally:
            client.close()
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
