"""The layers of the package, read from every import statement (lazy ones inside functions too).

From the top: cli.py, which nothing imports; the HTTP service (with its OpenAPI document and its case
page); the Dutch renderer (product sheets, sentences, timelines, result text) and the policy tooling;
and the core (loading, checking, evaluating, results), which imports none of the layers above it. No
core module imports itself back through others.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "interpreter"

# Prefixes of the layers above the core; a module in none of them is core.
SERVICE = ("interpreter.service", "interpreter.wire", "interpreter.openapi", "interpreter.casepage")
RENDERER = ("interpreter.sheets", "interpreter.timeline", "interpreter.resulttext")
POLICY = ("interpreter.policy",)


def in_layer(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def is_core(module: str) -> bool:
    return module.startswith(PACKAGE + ".") and not in_layer(module, SERVICE + RENDERER + POLICY)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_by(path: Path, known: set[str]) -> set[str]:
    """The project modules `path` imports anywhere in it; `from pkg import name` counts as pkg.name when that is a module."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            for alias in node.names:
                found.add(f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in known else origin)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    # The package's __init__ runs on any import of it; that edge says nothing about the layers.
    return {module for module in found if module in known and module not in (name, PACKAGE)}


def import_graph() -> dict[str, set[str]]:
    paths = [*sorted((REPO / PACKAGE).rglob("*.py")), REPO / "cli.py"]
    known = {module_name(path) for path in paths}
    return {module_name(path): imported_by(path, known) for path in paths}


GRAPH = import_graph()


def test_the_graph_is_read():
    # A sanity check on the reader: these edges exist, lazy or not.
    assert "interpreter.loader" in GRAPH["interpreter.store"]  # imported inside functions
    assert "interpreter.policy.jsonschema" in GRAPH["cli"]
    assert any(in_layer(m, RENDERER) for m in GRAPH["cli"])
    assert sum(is_core(m) for m in GRAPH) > 20


def test_nothing_imports_the_command_line():
    assert [module for module, imports in GRAPH.items() if "cli" in imports] == []


@pytest.mark.parametrize("layer, prefixes", [("the HTTP service", SERVICE), ("the Dutch renderer", RENDERER),
                                             ("the policy tooling", POLICY)])
def test_the_core_never_imports_a_layer_above_it(layer, prefixes):
    wrong = sorted(f"{module} imports {target}" for module, imports in GRAPH.items() if is_core(module)
                   for target in imports if in_layer(target, prefixes))
    assert wrong == [], f"the core must not import {layer}"


def test_no_import_circles_through_the_core():
    # Only circles through a core module: the service and its case page lean on each other (lazily),
    # inside one layer.
    def cycle_from(start: str) -> list[str] | None:
        path, seen = [start], set()

        def walk(module: str) -> list[str] | None:
            for target in sorted(GRAPH.get(module, ())):
                if target == start:
                    return path + [start]
                if target not in seen:
                    seen.add(target)
                    path.append(target)
                    if found := walk(target):
                        return found
                    path.pop()
            return None
        return walk(start)

    circles = [" -> ".join(c) for module in sorted(GRAPH) if (c := cycle_from(module)) and any(map(is_core, c))]
    assert circles == []
