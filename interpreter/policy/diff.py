"""Compare two catalogues and say in plain words what changed, and which test cases now come out differently."""
from __future__ import annotations

import datetime as dt
import io
import subprocess
import tarfile
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from .. import nodes as n
from ..api import Engine
from ..errors import CatalogueError, LookupProblem, Position
from ..model import Product, Rule
from ..printer import number_text, to_text
from ..results import to_json
from ..sheets.words import UNITS
from .testing import discover, load_tests

SHOWN_CASES = 5


@dataclass
class CaseChange:
    case: str
    at: str
    rule: str
    old: str
    new: str


@dataclass
class RuleChange:
    kind: str        # added, removed, changed
    section: str
    rule: str
    label: str
    details: list[str] = field(default_factory=list)
    cases: list[CaseChange] = field(default_factory=list)


@dataclass
class ProductChange:
    code: str
    file: str
    kind: str        # added, removed, changed
    details: list[str] = field(default_factory=list)
    rules: list[RuleChange] = field(default_factory=list)


# -- where the two catalogues come from ------------------------------------------------------------

def resolve(side: str, current: Path, scratch: Path) -> Path:
    """A catalogue folder for `side`: a folder as given, or the catalogue as it was at a git revision."""
    path = Path(side)
    if path.is_dir():
        if not (path / "catalogue.yaml").exists() and (path / "catalogue" / "catalogue.yaml").exists():
            return path / "catalogue"
        return path
    return _from_git(side, current.resolve(), scratch)


def _git(args: list[str], cwd: Path) -> bytes:
    completed = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    if completed.returncode != 0:
        raise LookupProblem(completed.stderr.decode(errors="replace").strip().splitlines()[-1]
                            if completed.stderr else "git failed", Position("<command line>", 1, 1))
    return completed.stdout


def _from_git(revision: str, current: Path, scratch: Path) -> Path:
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], current).decode().strip())
        _git(["rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], top)
    except (LookupProblem, OSError):
        raise LookupProblem(f"'{revision}' is neither a catalogue folder nor a git revision",
                            Position("<command line>", 1, 1),
                            hint="give two folders, or git revisions such as HEAD~1 (the working tree is a folder)"
                            ) from None
    relative = current.relative_to(top).as_posix()
    try:
        archive = _git(["archive", "--format=tar", revision, relative], top)
    except LookupProblem:
        raise LookupProblem(f"the catalogue folder '{relative}' does not exist in revision '{revision}'",
                            Position("<command line>", 1, 1),
                            hint="compare with a later revision, or give the old catalogue as a folder") from None
    target = scratch / revision.replace("/", "_").replace("~", "-").replace("^", "-")
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target / relative


# -- what changed -------------------------------------------------------------------------------------

def literal_changes(old: n.Node, new: n.Node) -> list[tuple[n.Node, n.Node]] | None:
    """The literals that differ when two trees have the same shape; None when the shape changed."""
    if type(old) is not type(new):
        return None
    if isinstance(old, n.LITERALS):
        return [] if old == new else [(old, new)]
    if old != new and not n.children(old):
        return None  # a different name or reference
    if _settings(old) != _settings(new):
        return None  # another operator, function, word, table or field
    old_children, new_children = n.children(old), n.children(new)
    if len(old_children) != len(new_children):
        return None
    pairs = []
    for a, b in zip(old_children, new_children):
        found = literal_changes(a, b)
        if found is None:
            return None
        pairs.extend(found)
    return pairs


def _settings(node: n.Node) -> list:
    """What a node says besides its sub-expressions (operator, function, word, name...): its compared fields."""
    values = (getattr(node, spec.name) for spec in fields(node) if spec.compare)
    return [value for value in values if not _holds_nodes(value)]


def _holds_nodes(value) -> bool:
    return isinstance(value, n.Node) or isinstance(value, tuple) and any(_holds_nodes(item) for item in value)


def _unit(amount: int, unit: str) -> str:
    singular, plural = UNITS[unit]  # the sheets' Dutch words for the units of time
    return singular if amount == 1 else plural


def literal_words(old: n.Node, new: n.Node) -> str:
    if isinstance(old, n.DurationLit) and isinstance(new, n.DurationLit) and old.unit == new.unit:
        return f"{old.amount} → {new.amount} {_unit(new.amount, new.unit)}"
    if isinstance(old, n.DurationLit) and isinstance(new, n.DurationLit):
        return f"{old.amount} {_unit(old.amount, old.unit)} → {new.amount} {_unit(new.amount, new.unit)}"
    if isinstance(old, n.PercentLit):
        return f"{number_text(old.value)}% → {number_text(new.value)}%"
    return f"{to_text(old)} → {to_text(new)}"


def expression_change(slot: str, old: n.Node, new: n.Node) -> str | None:
    if old == new:
        return None
    if isinstance(old, n.Decide) and isinstance(new, n.Decide):
        return _decide_change(slot, old, new)
    pairs = literal_changes(old, new)
    if pairs:
        return f"{slot}: " + "; ".join(literal_words(a, b) for a, b in pairs)
    return f"{slot}: {to_text(old)} → {to_text(new)}"


def _span(valid_from, valid_until) -> str:
    return f"{valid_from or '…'} to {valid_until or '…'}"


def rule_changes(old: Rule, new: Rule) -> list[str]:
    details = []
    if old.label != new.label:
        details.append(f"label: “{old.label}” → “{new.label}”")
    for slot in dict.fromkeys([*old.exprs, *new.exprs]):
        a, b = old.exprs.get(slot), new.exprs.get(slot)
        if a is None:
            details.append(f"{slot} added: {to_text(b.node)}")
        elif b is None:
            details.append(f"{slot} removed (was {to_text(a.node)})")
        else:
            change = expression_change(slot, a.node, b.node)
            if change:
                details.append(change)
    if [(e.valid_from, e.valid_until, e.expr.node) for e in old.editions] != \
            [(e.valid_from, e.valid_until, e.expr.node) for e in new.editions]:
        before = "; ".join(f"{to_text(e.expr.node)} ({_span(e.valid_from, e.valid_until)})" for e in old.editions)
        after = "; ".join(f"{to_text(e.expr.node)} ({_span(e.valid_from, e.valid_until)})" for e in new.editions)
        if len(old.editions) == len(new.editions) == 1 and old.editions[0].valid_from == new.editions[0].valid_from \
                and old.editions[0].valid_until == new.editions[0].valid_until:
            details.append(expression_change("value", old.editions[0].expr.node, new.editions[0].expr.node))
        else:
            details.append(f"value: {before} → {after}")
    details.extend(_override_changes(old, new))
    for name in ("roll", "message", "optional"):
        if getattr(old, name) != getattr(new, name):
            details.append(f"{name}: {_said(getattr(old, name))} → {_said(getattr(new, name))}")
    if (old.citation and old.citation.quotes) != (new.citation and new.citation.quotes):
        details.append("quoted source sentence changed")
    if (old.citation and old.citation.section) != (new.citation and new.citation.section):
        details.append(f"source section: {old.citation and old.citation.section} → "
                       f"{new.citation and new.citation.section}")
    return details


def _override_changes(old: Rule, new: Rule) -> list[str]:
    """Whether the rule took or gave back the place of its family's rule, and why."""
    if old.override_reason == new.override_reason:
        return []
    if old.override_reason is None:
        return [f"now overrides the family's rule: {new.override_reason}"]
    if new.override_reason is None:
        return [f"no longer overrides the family's rule (was: {old.override_reason})"]
    return [f"reason of the override: “{old.override_reason}” → “{new.override_reason}”"]


def _said(value) -> str:
    """A setting as the card writes it: true/false, not Python's True/False."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def product_changes(old: Product, new: Product) -> ProductChange:
    change = ProductChange(new.code, new.file, "changed")
    if old.title != new.title:
        change.details.append(f"title: “{old.title}” → “{new.title}”")
    if old.edition != new.edition:
        change.details.append(f"edition: {old.edition} → {new.edition}")
    if (old.valid_from, old.valid_until) != (new.valid_from, new.valid_until):
        change.details.append(f"valid: {_span(old.valid_from, old.valid_until)} → "
                              f"{_span(new.valid_from, new.valid_until)}")
    change.details.extend(table_changes(old, new))
    change.details.extend(lookup_changes(old, new))
    for rule_id in dict.fromkeys([*old.rules, *new.rules]):
        a, b = old.rules.get(rule_id), new.rules.get(rule_id)
        if a is None:
            change.rules.append(RuleChange("added", b.section, rule_id, b.label))
        elif b is None:
            change.rules.append(RuleChange("removed", a.section, rule_id, a.label))
        else:
            details = rule_changes(a, b)
            if details:
                change.rules.append(RuleChange("changed", b.section, rule_id, b.label, details))
    return change


# -- decision tables and lookups --------------------------------------------------------------------

def _decide_change(slot: str, old: n.Decide, new: n.Decide) -> str:
    """An output column of a table: its cells row by row (the table's own line says what else moved)."""
    if len(old.cells) != len(new.cells):
        return f"{slot}: {len(old.cells)} rows → {len(new.cells)} rows in table {new.table}"
    moved = [f"row {index + 1}: {to_text(a)} → {to_text(b)}" for index, (a, b)
             in enumerate(zip(old.cells, new.cells)) if a != b]
    return f"{slot}: " + ("; ".join(moved) if moved else f"the rows of table {new.table} changed")


def _row_text(row) -> str:
    return "[" + ", ".join(row.cells) + "]"


def table_changes(old: Product, new: Product) -> list[str]:
    """Each table added, removed or changed: its columns and its rows as written."""
    details = []
    for table_id in dict.fromkeys([*old.tables, *new.tables]):
        a, b = old.tables.get(table_id), new.tables.get(table_id)
        if a is None:
            details.append(f"table {table_id} ({b.label}) added: {len(b.rows)} rows over {', '.join(b.columns)}")
            continue
        if b is None:
            details.append(f"table {table_id} ({a.label}) removed")
            continue
        where = f"table {table_id}"
        if a.columns != b.columns:
            details.append(f"{where}: columns {', '.join(a.columns)} → {', '.join(b.columns)}")
        if [expr.text for _, expr in a.inputs] != [expr.text for _, expr in b.inputs]:
            details.append(f"{where}: inputs " + "; ".join(f"{name} = {expr.text}" for name, expr in b.inputs))
        if a.hit != b.hit:
            details.append(f"{where}: hit policy {a.hit} → {b.hit}")
        for index in range(max(len(a.rows), len(b.rows))):
            before = a.rows[index].cells if index < len(a.rows) else None
            after = b.rows[index].cells if index < len(b.rows) else None
            if before == after:
                continue
            if before is None:
                details.append(f"{where}, row {index + 1} added: {_row_text(b.rows[index])}")
            elif after is None:
                details.append(f"{where}, row {index + 1} removed (was {_row_text(a.rows[index])})")
            else:
                details.append(f"{where}, row {index + 1}: {_row_text(a.rows[index])} → {_row_text(b.rows[index])}")
        if a.label != b.label:
            details.append(f"{where}: label “{a.label}” → “{b.label}”")
    return details


def lookup_changes(old: Product, new: Product) -> list[str]:
    """Each lookup added, removed or changed: the entries whose values moved, field by field."""
    details = []
    for lookup_id in dict.fromkeys([*old.lookups, *new.lookups]):
        a, b = old.lookups.get(lookup_id), new.lookups.get(lookup_id)
        if a is None:
            details.append(f"lookup {lookup_id} ({b.label}) added: {len(b.entries)} entries")
        elif b is None:
            details.append(f"lookup {lookup_id} ({a.label}) removed")
        elif a.fields != b.fields:
            details.append(f"lookup {lookup_id}: fields {', '.join(f for f, _ in a.fields)} → "
                           f"{', '.join(f for f, _ in b.fields)}")
        else:
            before = dict(a.entries)
            for member, values in b.entries:
                for (field_name, _), was, now in zip(b.fields, before.get(member, ()), values):
                    if was != now:
                        details.append(f"lookup {lookup_id}, {member}: {field_name} {_said(was)} → {_said(now)}")
        if a is not None and b is not None and a.label != b.label:
            details.append(f"lookup {lookup_id}: label “{a.label}” → “{b.label}”")
    return details


def _editions(engine: Engine) -> dict[tuple[str, str], Product]:
    root = engine.catalogue.root
    return {(p.code, Path(p.file).resolve().relative_to(root.resolve()).as_posix()): p
            for editions in engine.catalogue.products.values() for p in editions}


def compare(old: Engine, new: Engine) -> list[ProductChange]:
    """Every product, edition and rule that differs, with the test cases whose results moved."""
    before, after = _editions(old), _editions(new)
    changes = []
    for key in dict.fromkeys([*before, *after]):
        code, file = key
        if key not in before:
            changes.append(_added(after[key], file, new))
        elif key not in after:
            changes.append(ProductChange(code, file, "removed", [f"edition {before[key].edition} removed"]))
        else:
            change = product_changes(before[key], after[key])
            change.file = file
            if change.details or change.rules:
                changes.append(change)
    _attach_cases(changes, old, new)
    return changes


def _added(product: Product, file: str, new: Engine) -> ProductChange:
    """A new card: a product added, or a new edition, diffed rule by rule against the edition it follows."""
    span = _span(product.valid_from, product.valid_until)
    previous = _preceding(product, new.catalogue.products.get(product.code, []))
    if previous is None:
        return ProductChange(product.code, file, "added", [f"new edition {product.edition}, valid {span}"])
    change = product_changes(previous, product)
    change.kind, change.file = "edition added", file
    applies = product.valid_from.isoformat() if product.valid_from else "its start"
    # The edition's name and dates are said once, in the first line, not again as changed details.
    kept = [detail for detail in change.details if not detail.startswith(("edition:", "valid:"))]
    change.details = [f"new edition {product.edition}, valid {span}; it follows {previous.edition} "
                      f"({Path(previous.file).name}): the changes below apply from {applies}"] + kept
    return change


def _preceding(product: Product, editions: list[Product]) -> Product | None:
    """The edition of the same product that `product` follows: the latest one that starts before it."""
    start = product.valid_from or dt.date.min
    earlier = [p for p in editions if p is not product and (p.valid_from or dt.date.min) < start]
    return max(earlier, key=lambda p: p.valid_from or dt.date.min, default=None)


def contract_warnings(old: Engine, new: Engine) -> list[str]:
    """Rule ids are part of the API contract (docs/api.md): each one the old catalogue had and the new one
    lacks, and each one an edition of the new catalogue drops from the edition before it."""
    warnings = []
    for code, editions in old.catalogue.products.items():
        later = new.catalogue.products.get(code)
        if later is None:
            warnings.append(f"{code}: the product is gone, and with it its rule ids "
                            f"{', '.join(sorted(_all_rules(editions)))}")
            continue
        warnings.extend(_lost(code, _all_rules(editions), _all_rules(later), "the previous catalogue"))
    for code, editions in new.catalogue.products.items():
        for before, after in zip(editions, editions[1:]):
            warnings.extend(_lost(code, before.rules, after.rules, f"edition {before.edition}",
                                  f" in edition {after.edition}"))
    return warnings


def _all_rules(editions: list[Product]) -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for product in editions:
        rules.update(product.rules)
    return rules


def _lost(code: str, before: dict[str, Rule], after: dict[str, Rule], had: str, where: str = "") -> list[str]:
    added = [rule for rule_id, rule in after.items() if rule_id not in before]
    out = []
    for rule_id, rule in before.items():
        if rule_id in after:
            continue
        twin = next((new for new in added if new.section == rule.section and new.label == rule.label), None)
        if twin is not None:
            out.append(f"{code}: rule id '{rule_id}' is renamed to '{twin.id}'{where} ({rule.section}, "
                       f"“{rule.label}”); applications that read '{rule_id}' ({had} had it) will not find it")
        else:
            out.append(f"{code}: rule id '{rule_id}' ({rule.section}, “{rule.label}”) is removed{where}; "
                       f"{had} had it, and applications that read it will not find it")
    return out


def _result_of(item_id: str, result: dict) -> str:
    """One rule's result in a few words, from the JSON of `evaluate`."""
    for section in ("deadlines", "payments", "reports", "checks"):
        items = [i for i in result[section] if i["id"] == item_id]
        if not items:
            continue
        if section == "deadlines":
            return f"{items[0]['date'] or 'unknown'} ({items[0]['status']})"
        if section == "payments":
            return f"{items[0]['share'] or '?'} = {items[0]['amount'] or 'unknown'}"
        if section == "reports":
            return ", ".join(i["date"] or "unknown" for i in items)
        return {True: "passed", False: "failed", None: "open"}[items[0]["passed"]]
    if item_id in result["values"]:
        value = result["values"][item_id]["value"]  # {type, value, missing}: the result contract
        if isinstance(value, list):
            return ", ".join(value)
        if isinstance(value, bool):
            return "true" if value else "false"
        return "unknown" if value is None else str(value)
    if item_id in result.get("not_applicable", []):
        return "does not apply"
    return "absent"


def _references(rule: Rule) -> set[str]:
    nodes = [node for expr in rule.all_exprs() for node in n.walk(expr.node)]
    return {node.name for node in nodes if isinstance(node, n.RuleRef)}


def _affected(rule_id: str, product: Product | None) -> list[str]:
    """The rule and every rule that uses it, directly or through others (a price cap and its check)."""
    if product is None:
        return [rule_id]
    users: dict[str, set[str]] = {}
    for rule in product.rules.values():
        for name in _references(rule):
            users.setdefault(name, set()).add(rule.id)
    found, todo = [rule_id], [rule_id]
    while todo:
        for user in sorted(users.get(todo.pop(), ())):
            if user not in found:
                found.append(user)
                todo.append(user)
    return found


def _attach_cases(changes: list[ProductChange], old: Engine, new: Engine) -> None:
    watched = {(c.code, r.rule): r for c in changes for r in c.rules if r.kind == "changed" and c.kind == "changed"}
    if not watched:
        return
    products = {}
    for (code, rule_id) in watched:
        editions = new.catalogue.products.get(code) or []
        products[(code, rule_id)] = next((p for p in editions if rule_id in p.rules), None)
    for path in discover(new.catalogue.root):
        try:
            cases = load_tests(path, new)
        except CatalogueError:
            continue
        for case in cases:
            rules = [rule_id for (code, rule_id) in watched if code == case.product]
            if not rules:
                continue
            outcomes = []
            for engine in (old, new):
                try:
                    facts = engine.facts({k: v for k, v in case.document.sub(case.path + ("facts",)).items()})
                    outcomes.append(to_json(engine.evaluate(case.product, facts, as_of=case.as_of,
                                                                    rules_on=case.rules_on, typed=True)))
                except CatalogueError as error:
                    outcomes.append({"error": error.message})
            for rule_id in rules:
                affected = _affected(rule_id, products[(case.product, rule_id)])
                for target in affected:
                    before = outcomes[0].get("error") or _result_of(target, outcomes[0])
                    after = outcomes[1].get("error") or _result_of(target, outcomes[1])
                    if before == after:
                        continue
                    if target == rule_id and len(affected) > 1 and \
                            watched[(case.product, rule_id)].section == "parameters":
                        continue  # a parameter's new value stands in its details; what it changes is news
                    watched[(case.product, rule_id)].cases.append(
                        CaseChange(case.name, _short(case.position), target, before, after))
                    if "error" in outcomes[0] or "error" in outcomes[1]:
                        break


def _short(position: Position) -> str:
    return f"{Path(position.file).name}:{position.line}"


def as_json(changes: list[ProductChange]) -> list[dict]:
    return [asdict(change) for change in changes]


def as_text(changes: list[ProductChange]) -> str:
    if not changes:
        return "no differences"
    lines = []
    for change in changes:
        if change.kind not in ("changed", "edition added"):
            lines.append(f"{change.code}: product {change.kind} ({change.file}); " + "; ".join(change.details))
            continue
        lines.append(f"{change.code} ({change.file})" + (": edition added" if change.kind == "edition added" else ""))
        lines.extend(f"  {detail}" for detail in change.details)
        for rule in change.rules:
            lines.append(f"  {rule.section} {rule.rule} ({rule.label}): {rule.kind}")
            lines.extend(f"    {detail}" for detail in rule.details)
            for case in rule.cases[:SHOWN_CASES]:
                what = "" if case.rule == rule.rule else f"{case.rule} "
                lines.append(f"    test case “{case.case}” ({case.at}): {what}{case.old} → {case.new}")
            if len(rule.cases) > SHOWN_CASES:
                lines.append(f"    … and {len(rule.cases) - SHOWN_CASES} more test cases (--format json lists all)")
    return "\n".join(lines)


def scratch_dir() -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix="catalogue-diff-")
