"""Run the YAML test cases that sit next to the product cards, one pytest test per case.

The cases are written by policy staff in catalogue/products/**/*.tests.yaml (see
interpreter.policy.testing and schema.TEST_FILE); a failing case reports, in words and with the
file:line of the expectation, what was expected and what the engine gave.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from cards import BUNDLED
from interpreter.errors import CatalogueError
from interpreter.policy.testing import discover, load_tests, run_case
from interpreter.yamlsource import load_file

TEST_FILES = discover(BUNDLED)


# The YAML test cases of the bundled cards run on catalogue/ itself.
@pytest.fixture(scope="module")
def engine(bundled):
    return bundled


def _label(path: Path) -> str:
    """The file stem without '.tests': ABC.tests.yaml -> ABC."""
    name = path.name
    return name[: -len(".tests.yaml")] if name.endswith(".tests.yaml") else path.stem


def _case_params() -> list:
    """One parameter per case, named at collection time (fixtures are not available yet).

    A file that cannot be read still yields one parameter, so its error shows as a failing test.
    """
    params = []
    for path in TEST_FILES:
        try:
            data = load_file(path).data
            cases = data.get("cases") if isinstance(data, dict) else None
        except CatalogueError:
            cases = None
        if not isinstance(cases, list) or not cases:
            params.append(pytest.param(path, None, id=f"{_label(path)}::<file>"))
            continue
        seen: dict[str, int] = {}
        for index, case in enumerate(cases):
            name = str(case.get("name", f"case {index + 1}")) if isinstance(case, dict) else f"case {index + 1}"
            seen[name] = seen.get(name, 0) + 1
            case_id = name if seen[name] == 1 else f"{name} ({seen[name]})"
            params.append(pytest.param(path, index, id=f"{_label(path)}::{case_id}"))
    return params


_loaded: dict[Path, list] = {}


def _cases(path: Path, engine) -> list:
    if path not in _loaded:
        _loaded[path] = load_tests(path, engine)
    return _loaded[path]


def test_there_are_test_files():
    assert TEST_FILES, f"no *.tests.yaml files under {BUNDLED / 'products'}"


@pytest.mark.parametrize("path, index", _case_params())
def test_case(engine, path: Path, index: int | None):
    problem = None
    try:
        cases = _cases(path, engine)
    except CatalogueError as error:
        problem = f"{path}: the test file cannot be read: {error}"
    if problem:
        pytest.fail(problem, pytrace=False)
    if index is None:
        pytest.fail(f"{path}: the test file has no cases", pytrace=False)
    case = cases[index]
    outcome = run_case(case, engine)
    if not outcome.passed:
        where = f"{outcome.position}: case '{outcome.name}'"
        if outcome.source:
            where += f"\n  source: {' '.join(outcome.source.split())}"
        pytest.fail(where + "\n  " + "\n  ".join(outcome.failures), pytrace=False)


def test_every_product_has_a_test_file(engine):
    tested = set()
    for path in TEST_FILES:
        try:
            data = load_file(path).data
        except CatalogueError:
            continue
        if isinstance(data, dict) and data.get("product"):
            tested.add(str(data["product"]))
    untested = sorted(set(engine.catalogue.codes()) - tested)
    assert not untested, ("these products have no *.tests.yaml file next to their card: "
                          + ", ".join(untested))


def test_every_test_file_names_a_known_product(engine):
    codes = set(engine.catalogue.codes())
    unknown = []
    for path in TEST_FILES:
        data = load_file(path).data
        product = str(data.get("product")) if isinstance(data, dict) else None
        if product not in codes:
            unknown.append(f"{path}: product '{product}'")
    assert not unknown, "test files for products the catalogue does not have:\n" + "\n".join(unknown)


@pytest.mark.parametrize("path", TEST_FILES, ids=_label)
def test_both_backends_agree_on_every_case_of_the_bundled_cards(engine, path: Path):
    """An invariant of any correct catalogue: the compiled code and the tree walker give the same JSON
    for every YAML case of today's cards (the differential tests run on the frozen fixture)."""
    from interpreter.results import to_json
    for case in _cases(path, engine):
        outputs = [to_json(engine.evaluate(case.product, case.facts, as_of=case.as_of, rules_on=case.rules_on,
                                           typed=True, backend=backend)) for backend in ("compiled", "reference")]
        assert outputs[0] == outputs[1], f"{path}: case '{case.name}'"
