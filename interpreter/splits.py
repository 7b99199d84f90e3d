"""Prove at load time that payment splits add up to 100% in every case their shares can meet."""
from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from . import nodes as n
from . import types as t
from .errors import SchemaError
from .evaluator import Evaluation
from .model import Product, Rule
from .values import Open, format_percent, share_problem

# Beyond this many combinations of facts the split is only checked when evaluated.
MAX_COMBINATIONS = 729


def check_splits(rules: dict[str, Rule], vocabulary, file: str) -> list[SchemaError]:
    """Shares that depend only on yes/no and choice facts are tried for every combination of them."""
    # A product of just these rules, so that the evaluator can try the shares.
    product = Product(code="", title="", family=None, file=file, citation=None, edition="", valid_from=None,
                      valid_until=None, calendar=None, rules=rules)
    problems = []
    for group, parts in product.payment_groups.items():
        if "schedule" in parts[0].exprs:
            continue  # instalments, not shares
        facts = _finite_facts(parts, vocabulary)
        if facts is None:
            continue
        problem = _first_bad_combination(group, parts, product, facts)
        if problem:
            problems.append(problem)
    return problems


def _finite_facts(parts: list[Rule], vocabulary) -> dict[str, list] | None:
    """The facts the shares read, each with its possible values; None if any is not finite."""
    domains: dict[str, list] = {}
    for part in parts:
        for node in n.walk(part.exprs["share"].node):
            if isinstance(node, (n.RuleRef, n.AsOfRef)):
                return None
            if isinstance(node, n.FactRef):
                type_ = vocabulary.facts[node.name].type
                if type_ == t.BOOL:
                    domains[node.name] = [True, False, None]
                elif isinstance(type_, t.EnumType):
                    domains[node.name] = list(type_.members) + [None]
                else:
                    return None
    size = 1
    for values in domains.values():
        size *= len(values)
    return domains if size <= MAX_COMBINATIONS else None


def _first_bad_combination(group, parts, product, domains) -> SchemaError | None:
    names = sorted(domains)
    for combination in itertools.product(*(domains[name] for name in names)):
        facts = {name: value for name, value in zip(names, combination) if value is not None}
        run = Evaluation(product, facts, dt.date.today())
        shares = [run.slot(part, "share") for part in parts]
        if any(isinstance(share, Open) for share in shares):
            continue
        when = ", ".join(f"{k} = {_word(v)}" for k, v in facts.items()) or "always"
        for part, share in zip(parts, shares):
            problem = share_problem(share)
            if problem:
                return SchemaError(f"the share of '{part.id}' {problem} (when {when})", part.pos,
                                   hint="each share of a split is a percentage from 0% to 100%")
        total = sum(shares, Decimal(0))
        if total != 100:
            return SchemaError(
                f"the shares of payment '{group}' add up to {format_percent(total)}, not 100% "
                f"(when {when})", parts[0].pos,
                hint="change the percentages so that together they make 100% in every case")
    return None


def _word(value) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)
