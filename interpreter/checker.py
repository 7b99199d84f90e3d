"""Resolve names and check types of every expression of a product, once, at load time."""
from __future__ import annotations

import dataclasses
import itertools
import math

from . import nodes as n
from . import printer
from . import types as t
from .errors import CatalogueError, Position, TypeCheckError, aside, did_you_mean
from .limits import MAX_TABLE_COMBINATIONS
from .model import DecisionTable, Expr, LookupTable, Rule, payment_groups
from .values import UNIT_NAMES
from .visitor import NodeVisitor

# What each slot of a rule must produce.
SLOT_TYPES: dict[str, tuple[t.Type, ...] | None] = {
    "value": None, "due": (t.DATE,), "met_by": (t.DATE,), "base": (t.MONEY,), "share": (t.PERCENT,),
    "on": (t.DATE,), "date": (t.DATE, t.DATES), "test": (t.BOOL,), "when": (t.BOOL,),
    "edition": None, "schedule": (t.DATES,), "amount": (t.MONEY,),
}

# The slots whose values a reference to the rule depends on.
VALUE_SLOTS = {
    "parameters": ("edition",), "values": ("value",), "deadlines": ("due",),
    "payments": ("base", "share", "schedule", "amount"), "reports": ("date",), "checks": ("test",),
}

# The part of a card a qualified reference names: `deadlines.plan_due`, also `deadline.plan_due`.
_SECTION_WORDS = {section: section for section in VALUE_SLOTS}
_SECTION_WORDS.update({section[:-1]: section for section in VALUE_SLOTS})
SECTION_WORDS = _SECTION_WORDS

AS_OF = "as_of"
# Names every card has: its own product code and the name of its edition (texts).
BUILTIN_NAMES = {"product_code": "the product code of the card", "edition_name": "the name of the card's edition"}
# Slots whose value is enforced as it stands: an indicative value ("circa") has no place there.
EXACT_SLOTS = {"due": "a deadline's date", "base": "a payment's amount", "share": "a payment's share",
               "amount": "a payment's amount", "schedule": "a payment's schedule"}
FUNCTIONS = ("min", "max", "round", "next_working_day", "text", "earliest")

_VERBS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}

_ARITHMETIC: dict[tuple[str, t.Type, t.Type], t.Type] = {}


def _allow(op: str, left: t.Type, right: t.Type, result: t.Type) -> None:
    _ARITHMETIC[(op, left, right)] = result


for _op in "+-":
    _allow(_op, t.DATE, t.DURATION, t.DATE)
    for _same in (t.NUMBER, t.MONEY, t.PERCENT):
        _allow(_op, _same, _same, _same)
_allow("+", t.DURATION, t.DATE, t.DATE)
_allow("+", t.TEXT, t.TEXT, t.TEXT)
_allow("-", t.DATE, t.DATE, t.NUMBER)
for _a, _b, _r in ((t.NUMBER, t.NUMBER, t.NUMBER), (t.MONEY, t.NUMBER, t.MONEY), (t.MONEY, t.PERCENT, t.MONEY),
                   (t.PERCENT, t.NUMBER, t.PERCENT), (t.DURATION, t.NUMBER, t.DURATION)):
    _allow("*", _a, _b, _r)
    _allow("*", _b, _a, _r)
for _a, _b, _r in ((t.NUMBER, t.NUMBER, t.NUMBER), (t.MONEY, t.NUMBER, t.MONEY), (t.MONEY, t.MONEY, t.NUMBER),
                   (t.PERCENT, t.NUMBER, t.PERCENT)):
    _allow("/", _a, _b, _r)


def reference_type(rule: Rule) -> t.Type:
    """The type a reference to `rule` has in another expression."""
    if rule.section == "parameters":
        return rule.editions[0].expr.node.type
    if rule.section == "values":
        return rule.exprs["value"].node.type
    if rule.section == "deadlines":
        return t.DATE
    if rule.section == "payments":
        return t.MONEY
    if rule.section == "reports":
        return rule.exprs["date"].node.type
    return t.BOOL


class Checker(NodeVisitor):
    """Type-checks the rules of one product; collects every error instead of stopping at the first."""

    def __init__(self, facts: dict[str, t.Type], enums: dict[str, t.EnumType], rules: dict[str, Rule],
                 tables: dict[str, DecisionTable] | None = None, lookups: dict[str, LookupTable] | None = None,
                 builtins: dict[str, str] | None = None):
        self.tables = tables or {}
        self.lookups = lookups or {}
        self._proved: dict[str, bool] = {}  # table -> whether it was proven complete and without overlaps
        self.builtins = builtins or {}
        self.facts = facts
        self.enums = enums
        self.rules = dict(rules)
        self.errors: list[CatalogueError] = []
        self._done: set[str] = set()
        self._failed: set[str] = set()
        self._stack: list[str] = []
        self._cycles: set[frozenset] = set()
        self._members: dict[str, list[t.EnumType]] = {}
        for enum in enums.values():
            for member in enum.members:
                self._members.setdefault(member, []).append(enum)

    # -- rules -------------------------------------------------------------------------------

    def check_all(self) -> dict[str, Rule]:
        self._refuse_builtin_ids()
        for rule_id in list(self.rules):
            self._check_rule(rule_id)
        return self.rules

    def _check_rule(self, rule_id: str) -> bool:
        """Check one rule (its dependencies first); False if it or a dependency failed."""
        if rule_id in self._done:
            return rule_id not in self._failed
        if rule_id in self._stack:
            cycle = self._stack[self._stack.index(rule_id):] + [rule_id]
            if frozenset(cycle) not in self._cycles:
                self._cycles.add(frozenset(cycle))
                self.errors.append(TypeCheckError(
                    "these rules refer to each other in a circle: " + " → ".join(cycle), self.rules[rule_id].pos,
                    hint="a rule cannot depend on itself, directly or through other rules; break the circle"))
            raise _Skip()
        self._stack.append(rule_id)
        ok = True
        try:
            self.rules[rule_id] = self._check_slots(self.rules[rule_id])
        except TypeCheckError as error:
            self.errors.append(error)
            ok = False
        finally:
            self._stack.pop()
        self._done.add(rule_id)
        if not ok:
            self._failed.add(rule_id)
        return ok

    def _check_slots(self, rule: Rule) -> Rule:
        exprs = {}
        for slot, expr in rule.exprs.items():
            if slot == "schedule" and not isinstance(expr.node, n.Every):
                raise TypeCheckError(f"the schedule of {rule.id} must be written every ... from ... until ..., "
                                     f"not '{expr.text.strip()}'", expr.pos,
                                     hint="the periods it pays run from the start to the end: "
                                          "schedule: every 3 months from started_on until ended_on")
            exprs[slot] = self._check_expr(expr, SLOT_TYPES[slot], f"'{slot}' of {rule.id}")
        editions = []
        first_type = None
        for edition in rule.editions:
            checked = self._check_expr(edition.expr, None, f"the value of {rule.id}")
            if first_type is None:
                first_type = checked.node.type
            elif checked.node.type != first_type:
                raise TypeCheckError(
                    f"the editions of {rule.id} have different types: {t.describe(first_type)} "
                    f"and {t.describe(checked.node.type)}", checked.pos,
                    hint="every edition of a value must be of the same kind")
            editions.append(dataclasses.replace(edition, expr=checked))
        checked = dataclasses.replace(rule, exprs=exprs, editions=tuple(editions))
        return self._with_indication(checked)

    def _check_expr(self, expr: Expr, expected: tuple[t.Type, ...] | None, what: str) -> Expr:
        node = self.check(expr.node, expected[0] if expected and len(expected) == 1 else None)
        if expected and node.type not in expected:
            wanted = " or ".join(t.describe(e) for e in expected)
            raise TypeCheckError(f"{what} must be {wanted}, but '{expr.text.strip()}' is {t.describe(node.type)}",
                                 expr.pos, hint=_percent_hint(node, expected))
        return dataclasses.replace(expr, node=node)

    # -- expressions -------------------------------------------------------------------------

    def check(self, node: n.Node, expected: t.Type | None = None) -> n.Node:
        return self.visit(node, expected)

    def generic_visit(self, node: n.Node, expected: t.Type | None = None) -> n.Node:
        # Only the parser's nodes reach the checker; any other is a bug in the engine, not in a card.
        raise TypeError(f"the checker has no visit_{type(node).__name__}")

    def _typed(self, node: n.Node, type_: t.Type, **changes) -> n.Node:
        return dataclasses.replace(node, type=type_, **changes)

    def visit_NumberLit(self, node, expected):
        return self._typed(node, t.NUMBER)

    def visit_MoneyLit(self, node, expected):
        return self._typed(node, t.MONEY)

    def visit_PercentLit(self, node, expected):
        if node.value > 100:
            raise TypeCheckError(f"{printer.number_text(node.value)}% is more than 100%", node.pos,
                                 hint="a share or rate is between 0% and 100%; check for a typing error "
                                      "(60% instead of 600%)")
        return self._typed(node, t.PERCENT)

    def visit_DateLit(self, node, expected):
        return self._typed(node, t.DATE)

    def visit_DurationLit(self, node, expected):
        return self._typed(node, t.DURATION)

    def visit_TextLit(self, node, expected):
        return self._typed(node, t.TEXT)

    def visit_BoolLit(self, node, expected):
        return self._typed(node, t.BOOL)

    def visit_SetLit(self, node, expected):
        enum = expected.enum if isinstance(expected, t.SetType) else None
        if enum is None:
            candidates = None
            for member in node.members:
                found = set(e.name for e in self._members.get(member, []))
                candidates = found if candidates is None else candidates & found
            if not candidates or len(candidates) != 1:
                raise TypeCheckError(
                    f"cannot tell which kind of set {{{', '.join(node.members)}}} is", node.pos,
                    hint="compare it with a fact, e.g. phases == {orientation, mediation}")
            enum = self.enums[candidates.pop()]
        for member in node.members:
            if member not in enum.members:
                raise TypeCheckError(f"'{member}' is not a {enum.name}" + aside(did_you_mean(member, enum.members)),
                                     node.pos, hint=f"the members of {enum.name} are: {', '.join(enum.members)}")
        return self._typed(node, t.SetType(f"set of {enum.name}", enum))

    def visit_Name(self, node, expected):
        name = node.name
        if node.qualifier is not None and node.qualifier in self.tables:
            return self._table_output(node)
        if node.qualifier is not None:
            section = _SECTION_WORDS.get(node.qualifier)
            written = f"{node.qualifier}.{name}"
            if section is None:
                raise TypeCheckError(
                    f"unknown part '{node.qualifier}' in '{written}'"
                    + aside(did_you_mean(node.qualifier, list(_SECTION_WORDS))), node.pos,
                    hint="before the '.' comes the part of the card the rule is in: "
                    + ", ".join(VALUE_SLOTS) + " (or leave it out and write just the rule's name)")
            rule = self.rules.get(name)
            if rule is not None and rule.section != section:
                raise TypeCheckError(f"there is no '{name}' in {section}: '{name}' is in {rule.section}",
                                     node.pos, hint=f"write {rule.section}.{name}, or just {name}")
            if rule is None:
                same_section = [r.id for r in self.rules.values() if r.section == section]
                raise TypeCheckError(
                    f"there is no rule '{written}'" + aside(did_you_mean(name, same_section or list(self.rules))),
                    node.pos, hint=(f"the {section} of this card and its family are: " + ", ".join(same_section))
                    if same_section else f"this card and its family have no {section}")
            return self._rule_ref(node, rule)
        if name in self.rules:
            return self._rule_ref(node, self.rules[name])
        if name in self.facts:
            return n.FactRef(name, pos=node.pos, type=self.facts[name])
        if name == AS_OF:
            return n.AsOfRef(pos=node.pos, type=t.DATE)
        if name in BUILTIN_NAMES and name in self.builtins:
            return n.BuiltIn(name, self.builtins[name], pos=node.pos, type=t.TEXT)
        enums = self._members.get(name, [])
        if isinstance(expected, t.EnumType) and expected in enums:
            enums = [expected]
        if len(enums) == 1:
            return n.EnumLit(enums[0].name, name, pos=node.pos, type=enums[0])
        if len(enums) > 1:
            raise TypeCheckError(f"'{name}' is a member of several kinds: "
                                 + ", ".join(e.name for e in enums), node.pos,
                                 hint="compare it with a fact of the kind you mean")
        known = list(self.rules) + list(self.facts) + list(self._members) + [AS_OF] + list(self.builtins)
        raise TypeCheckError(
            f"unknown name '{name}': it is not a fact, a rule or parameter of this card, "
            "or a member of a list of choices" + aside(did_you_mean(name, known)), node.pos,
            hint="facts are listed in catalogue/facts.yaml; rules and parameters on the card and its family")

    def _rule_ref(self, node: n.Name, rule: Rule) -> n.Node:
        if not self._check_rule(rule.id):
            raise _Skip()
        return n.RuleRef(rule.id, pos=node.pos, type=reference_type(self.rules[rule.id]))

    def _needs_context(self, node: n.Node) -> bool:
        """A set literal or a bare choice name gets its type from the other operand."""
        if isinstance(node, n.SetLit):
            return True
        return (isinstance(node, n.Name) and node.qualifier is None and node.name in self._members
                and node.name not in self.rules and node.name not in self.facts)

    def visit_Negate(self, node, expected):
        operand = self.check(node.operand)
        if operand.type not in (t.NUMBER, t.MONEY, t.PERCENT):
            raise TypeCheckError(f"cannot put a minus sign before {t.describe(operand.type)}", node.pos)
        return self._typed(node, operand.type, operand=operand)

    def visit_Arithmetic(self, node, expected):
        left, right = self.check(node.left), self.check(node.right)
        result = _ARITHMETIC.get((node.op, left.type, right.type))
        if result is None:
            raise TypeCheckError(_arithmetic_message(node.op, left.type, right.type), node.pos,
                                 hint=_arithmetic_hint(node.op, left.type, right.type))
        return self._typed(node, result, left=left, right=right)

    def _pair(self, left: n.Node, right: n.Node) -> tuple[n.Node, n.Node]:
        """Check two operands that must agree; a set or choice without context takes the other's type."""
        if self._needs_context(left) and not self._needs_context(right):
            right = self.check(right)
            return self.check(left, right.type), right
        left = self.check(left)
        return left, self.check(right, left.type)

    def visit_Compare(self, node, expected):
        left, right = self._pair(node.left, node.right)
        if left.type != right.type:
            raise TypeCheckError(f"cannot compare {t.describe(left.type)} with {t.describe(right.type)}", node.pos,
                                 hint="both sides of a comparison must be the same kind of value, "
                                      "e.g. a date with a date or an amount with an amount")
        if node.op not in ("==", "!=") and left.type not in t.ORDERED:
            raise TypeCheckError(f"'{node.op}' needs numbers, amounts, percentages or dates, "
                                 f"not {t.describe(left.type)}", node.pos, hint="use == or != instead")
        return self._typed(node, t.BOOL, left=left, right=right)

    def visit_Member(self, node, expected):
        container = self.check(node.container) if not self._needs_context(node.container) else None
        element = self.check(node.element, container.type.enum if container is not None
                             and isinstance(container.type, t.SetType) else None)
        if container is None:
            if not isinstance(element.type, t.EnumType):
                raise TypeCheckError(f"'in' needs a choice on its left, not {t.describe(element.type)}", node.pos)
            container = self.check(node.container, t.SetType(f"set of {element.type.name}", element.type))
        if not isinstance(container.type, t.SetType):
            raise TypeCheckError(f"'in' needs a set on its right, not {t.describe(container.type)}", node.pos)
        if element.type != container.type.enum:
            raise TypeCheckError(f"{t.describe(element.type)} cannot be in {t.describe(container.type)}", node.pos)
        return self._typed(node, t.BOOL, element=element, container=container)

    def _logical(self, node, **operands):
        checked = {}
        for key, operand in operands.items():
            checked[key] = self.check(operand, t.BOOL)
            if checked[key].type != t.BOOL:
                raise TypeCheckError(f"'{type(node).__name__.lower()}' needs yes/no values, "
                                     f"not {t.describe(checked[key].type)}", operand.pos)
        return self._typed(node, t.BOOL, **checked)

    def visit_And(self, node, expected):
        return self._logical(node, left=node.left, right=node.right)

    def visit_Or(self, node, expected):
        return self._logical(node, left=node.left, right=node.right)

    def visit_Not(self, node, expected):
        return self._logical(node, operand=node.operand)

    def visit_If(self, node, expected):
        condition = self.check(node.condition, t.BOOL)
        if condition.type != t.BOOL:
            raise TypeCheckError(f"the condition after 'if' must be yes/no, not {t.describe(condition.type)}",
                                 node.condition.pos)
        then, otherwise = self._pair(node.then, node.otherwise)
        if then.type != otherwise.type:
            raise TypeCheckError(f"the 'then' part is {t.describe(then.type)} but the 'else' part is "
                                 f"{t.describe(otherwise.type)}", node.otherwise.pos,
                                 hint="both branches of an if must give the same kind of value")
        return self._typed(node, then.type, condition=condition, then=then, otherwise=otherwise)

    def visit_Coalesce(self, node, expected):
        left, right = self._pair(node.left, node.right)
        if left.type != right.type:
            raise TypeCheckError(f"both sides of '??' must be of the same kind: {t.describe(left.type)} "
                                 f"and {t.describe(right.type)}", node.pos)
        return self._typed(node, left.type, left=left, right=right)

    def visit_Call(self, node, expected):
        if node.function not in FUNCTIONS:
            raise TypeCheckError(f"unknown function '{node.function}'" + aside(did_you_mean(node.function, FUNCTIONS)),
                                 node.pos, hint="the functions are: " + ", ".join(FUNCTIONS))
        args = tuple(self.check(a) for a in node.args)
        types = [a.type for a in args]
        if node.function in ("min", "max"):
            if len(args) < 2 or any(x != types[0] for x in types) or types[0] not in t.ORDERED:
                raise TypeCheckError(f"{node.function}(...) needs two or more numbers, amounts, percentages "
                                     "or dates of the same kind", node.pos)
            return self._typed(node, types[0], args=args)
        if node.function == "earliest":
            if len(args) < 2 or any(x != t.DATE for x in types):
                raise TypeCheckError("earliest(...) needs two or more dates", node.pos,
                                     hint="e.g. met_by: earliest(work_resumed_on, final_report_on)")
            return self._typed(node, t.DATE, args=args)
        if node.function == "round":
            if len(args) != 1 or types[0] not in (t.MONEY, t.NUMBER, t.PERCENT):
                raise TypeCheckError("round(...) takes one amount, number or percentage", node.pos)
            return self._typed(node, types[0], args=args)
        if node.function == "text":
            if len(args) != 1 or isinstance(types[0], (t.SetType, t.ListType)):
                raise TypeCheckError("text(...) takes one value (not a set or a list)", node.pos,
                                     hint='join texts with +, e.g. "nr. " + text(x)')
            return self._typed(node, t.TEXT, args=args)
        if len(args) != 1 or types[0] != t.DATE:
            raise TypeCheckError("next_working_day(...) takes one date", node.pos)
        return self._typed(node, t.DATE, args=args)

    def visit_Every(self, node, expected):
        step, start, until = self.check(node.step), self.check(node.start), self.check(node.until)
        for part, want, word in ((step, t.DURATION, "after 'every'"), (start, t.DATE, "after 'from'"),
                                 (until, t.DATE, "after 'until'")):
            if part.type != want:
                raise TypeCheckError(f"{word} comes {t.describe(want)}, not {t.describe(part.type)}", part.pos)
        return self._typed(node, t.DATES, step=step, start=start, until=until)

    # -- subset and superset, indicative values, the product's own names ---------------------------

    def visit_SetRelation(self, node, expected):
        left, right = self._pair(node.left, node.right)
        for side in (left, right):
            if isinstance(side.type, t.EnumType):
                raise TypeCheckError(
                    f"'{node.op} of' compares two sets, but '{printer.to_text(side)}' is one choice", side.pos,
                    hint=f"to ask whether one choice is among others, write 'in': {printer.to_text(side)} in ...; "
                         "or put it in braces: {" + printer.to_text(side) + "}")
            if not isinstance(side.type, t.SetType):
                raise TypeCheckError(f"'{node.op} of' compares two sets, not {t.describe(side.type)}", side.pos)
        if left.type != right.type:
            raise TypeCheckError(f"cannot compare {t.describe(left.type)} with {t.describe(right.type)}", node.pos,
                                 hint="both sides must be sets of the same kind of choices")
        return self._typed(node, t.BOOL, left=left, right=right)

    def visit_Indicative(self, node, expected):
        operand = self.check(node.operand, expected)
        if isinstance(operand, n.Indicative):
            raise TypeCheckError(f"'{node.word}' is written twice", node.pos, hint=f"write it once: {node.word} ...")
        if operand.type == t.BOOL or isinstance(operand.type, (t.SetType, t.ListType)):
            raise TypeCheckError(f"'{node.word}' needs an amount, number, percentage, date or duration, "
                                 f"not {t.describe(operand.type)}", node.pos,
                                 hint="an indication is a quantity: circa 6 months, about €250")
        return self._typed(node, operand.type, operand=operand)

    def _refuse_builtin_ids(self) -> None:
        for rule_id, rule in list(self.rules.items()):
            if rule_id in BUILTIN_NAMES:
                self.errors.append(TypeCheckError(
                    f"'{rule_id}' is a built-in name: {BUILTIN_NAMES[rule_id]}", rule.pos,
                    hint=f"remove this rule and write {rule_id} where you need it; give a rule of your own "
                         "another name"))
                self._done.add(rule_id)
                self._failed.add(rule_id)

    def _with_indication(self, rule: Rule) -> Rule:
        """Mark a rule that rests on an indicative value; refuse one where the value is enforced."""
        exprs = list(rule.exprs.items()) + [("value", edition.expr) for edition in rule.editions]
        indicative = False
        for slot, expr in exprs:
            if slot == "when":
                continue  # whether a rule applies is not what it says: a 'circa' there marks nothing
            for node in n.walk(expr.node):
                if isinstance(node, n.Indicative) or (isinstance(node, n.RuleRef)
                                                       and self.rules[node.name].indicative):
                    if slot in EXACT_SLOTS:
                        raise TypeCheckError(
                            f"{EXACT_SLOTS[slot]} is exact, but '{printer.to_text(node)}' is an indication",
                            node.pos, hint="keep the indication in a value and compare it in a check, which "
                                           "shows it but never fails on it")
                    indicative = True
        return dataclasses.replace(rule, indicative=True) if indicative else rule

    # -- decision tables and lookups --------------------------------------------------------

    def _table_output(self, node: n.Name) -> n.Node:
        """`split.effort_share`: the output column of a table, which is a value of the card."""
        table = self.tables[node.qualifier]
        outputs = [name for name, _ in table.outputs]
        if node.name not in outputs:
            raise TypeCheckError(f"table '{table.id}' has no output '{node.name}'" + aside(did_you_mean(node.name, outputs)),
                                 node.pos, hint=f"the outputs of table '{table.id}' are: {', '.join(outputs)}")
        return self._rule_ref(node, self.rules[node.name])

    def visit_Lookup(self, node, expected):
        lookup = self.lookups.get(node.lookup)
        if lookup is None:
            raise TypeCheckError(
                f"there is no lookup '{node.lookup}'" + aside(did_you_mean(node.lookup, self.lookups)), node.pos,
                hint=("the lookups of this card and its family are: " + ", ".join(sorted(self.lookups)))
                if self.lookups else "this card and its family have no lookups: add one under 'lookups:'")
        enum = self.enums[lookup.key]
        key = self.check(node.key, enum)
        if key.type != enum:
            raise TypeCheckError(f"the key of '{lookup.id}[...]' must be {t.describe(enum)}, "
                                 f"not {t.describe(key.type)}", node.key.pos,
                                 hint=f"lookup '{lookup.id}' has an entry for each {enum.name}, e.g. "
                                      f"{lookup.id}[{enum.name}] when a fact is called {enum.name}")
        type_ = lookup.field_type(node.field)
        if type_ is None:
            fields = [name for name, _ in lookup.fields]
            raise TypeCheckError(f"lookup '{lookup.id}' has no field '{node.field}'"
                                 + aside(did_you_mean(node.field, fields)), node.pos,
                                 hint=f"the fields of '{lookup.id}' are: {', '.join(fields)}")
        return self._typed(node, type_, key=key, entries=lookup.column(node.field))

    def visit_Decide(self, node, expected):
        table = self.tables[node.table]
        names = [name for name, _ in table.inputs]
        inputs = tuple(self.check(expr) for expr in node.inputs)
        for name, value in zip(names, inputs):
            if value.type != t.BOOL and not isinstance(value.type, t.EnumType):
                raise TypeCheckError(
                    f"input '{name}' of table '{table.id}' is {t.describe(value.type)}; a table's inputs must be "
                    "yes/no values or choices", value.pos,
                    hint="compare in the input itself (e.g. price > €5000), so that the checker can go through "
                         "every combination and prove the table complete")
        tests = tuple(tuple(self._table_test(table, index, name, value.type, test)
                            for name, value, test in zip(names, inputs, row))
                      for index, row in enumerate(node.tests))
        cells = self._table_cells(table, node)
        checked = self._typed(node, cells[0].type, inputs=inputs, tests=tests, cells=cells)
        if node.table not in self._proved:
            self._proved[node.table] = False
            self._prove(table, [value.type for value in inputs], checked)
            self._proved[node.table] = True
        elif not self._proved[node.table]:
            raise _Skip()
        return checked

    def _table_test(self, table: DecisionTable, index: int, column: str, type_: t.Type,
                    test: n.Node | None) -> n.Node | None:
        """One input cell: '-', or the value (or set of choices) the input must have for the row to apply."""
        if test is None:
            return None
        where = f"row {index + 1} of table '{table.id}', column {column}"
        if type_ == t.BOOL:
            if isinstance(test, n.BoolLit):
                return self._typed(test, t.BOOL)
            raise TypeCheckError(f"{where} must be true, false or '-' (any), not '{printer.to_text(test)}'", test.pos,
                                 hint="an input cell says which value the input must have for the row to apply")
        if isinstance(test, n.SetLit):
            return self.visit_SetLit(test, t.SetType(f"set of {type_.name}", type_))
        if isinstance(test, n.Name) and test.qualifier is None:
            if test.name not in type_.members:
                raise TypeCheckError(f"'{test.name}' in {where} is not a {type_.name}"
                                     + aside(did_you_mean(test.name, type_.members)), test.pos,
                                     hint=f"the members of {type_.name} are: {', '.join(type_.members)}")
            return n.EnumLit(type_.name, test.name, pos=test.pos, type=type_)
        raise TypeCheckError(f"{where} must be a {type_.name}, a set of them in {{...}} or '-' (any), "
                             f"not '{printer.to_text(test)}'", test.pos,
                             hint=f"the members of {type_.name} are: {', '.join(type_.members)}")

    def _table_cells(self, table: DecisionTable, node: n.Decide) -> tuple[n.Node, ...]:
        """The output cells of one column, all of one kind (like the branches of an if)."""
        first = self.check(node.cells[0])
        cells = [first]
        for index, cell in enumerate(node.cells[1:], start=2):
            checked = self.check(cell, first.type)
            if checked.type != first.type:
                raise TypeCheckError(
                    f"output '{node.output}' of table '{table.id}' is {t.describe(first.type)} in row 1 but "
                    f"{t.describe(checked.type)} in row {index}", cell.pos,
                    hint="every cell of an output column must give the same kind of value")
            cells.append(checked)
        return tuple(cells)

    def _prove(self, table: DecisionTable, types: list[t.Type], node: n.Decide) -> None:
        """Go through every combination of the inputs' values: exactly one row must apply to each (under
        the hit policy 'first': at least one, and every row must be the first for some combination)."""
        names = [name for name, _ in table.inputs]
        domains = [(True, False) if type_ == t.BOOL else type_.members for type_ in types]
        count = math.prod(len(domain) for domain in domains)
        if count > MAX_TABLE_COMBINATIONS:
            raise TypeCheckError(
                f"table '{table.id}' has {count:,} combinations of input values, more than the "
                f"{MAX_TABLE_COMBINATIONS:,} the checker goes through", table.pos,
                hint="split it into smaller tables, or combine inputs into yes/no questions")
        rows = node.test_values
        gaps, first_of = [], set()
        for combination in itertools.product(*domains):
            hits = [index for index, row in enumerate(rows) if _row_admits(row, combination)]
            if not hits:
                gaps.append(combination)
                continue
            first_of.add(hits[0])
            if len(hits) > 1 and not node.first:
                raise self._overlap(table, node, names, combination, hits[0], hits[1])
        if gaps:
            raise self._gap(table, node, names, gaps)
        for index in range(len(rows)):
            if index not in first_of:
                raise TypeCheckError(
                    f"row {index + 1} of table '{table.id}' never applies: the rows above it cover every case "
                    "it covers", table.rows[index].pos,
                    hint="remove the row, or move it above the row that takes its cases")

    def _overlap(self, table, node, names, combination, first: int, second: int) -> TypeCheckError:
        tests = node.tests
        columns = [names[i] for i in range(len(names)) if tests[first][i] is None or tests[second][i] is None
                   or isinstance(tests[first][i], n.SetLit) or isinstance(tests[second][i], n.SetLit)]
        cells = table.rows
        shown = [f"{names[i]} ({cells[first].cells[i]} and {cells[second].cells[i]})" for i in range(len(names))
                 if names[i] in columns]
        return TypeCheckError(
            f"rows {first + 1} and {second + 1} of table '{table.id}' both apply when {_combination(names, combination)}"
            + (f"; they overlap in column {', '.join(shown)}" if shown else ""),
            table.rows[second].pos,
            hint=f"make row {second + 1} (line {table.rows[second].pos.line}) differ from row {first + 1} "
                 f"(line {table.rows[first].pos.line}) in at least one column, or declare 'hit: first' when the "
                 "first row that applies is meant to win")

    def _gap(self, table, node, names, gaps) -> TypeCheckError:
        gap = gaps[0]
        # The row that comes closest to covering the combination, and the columns where it falls short.
        rows = node.test_values
        closest = max(range(len(rows)), key=lambda index: (sum(_cell_admits(test, value)
                                                                for test, value in zip(rows[index], gap)), -index))
        short = [f"{names[i]} says {table.rows[closest].cells[i]}" for i, (test, value)
                 in enumerate(zip(rows[closest], gap)) if not _cell_admits(test, value)]
        more = f" (and {len(gaps) - 1} more combination{'s' if len(gaps) > 2 else ''})" if len(gaps) > 1 else ""
        return TypeCheckError(
            f"table '{table.id}' is not complete: no row applies when {_combination(names, gap)}{more}; "
            f"the nearest, row {closest + 1}, differs in column {', '.join(short)}",
            table.rows[closest].pos,
            hint="add a row for this combination, or write '-' (any value) in a column that does not matter for it")


def _cell_admits(test, value) -> bool:
    return test is None or (value in test if test.__class__ is frozenset else value == test)


def _row_admits(row: tuple, combination: tuple) -> bool:
    return all(_cell_admits(test, value) for test, value in zip(row, combination))


def _combination(names: list[str], values: tuple) -> str:
    return ", ".join(f"{name} = {str(value).lower() if isinstance(value, bool) else value}"
                     for name, value in zip(names, values))


class _Skip(TypeCheckError):
    """A dependency already failed and was reported; do not report its users again."""

    def __init__(self):
        super().__init__("a rule this one refers to has an error", Position("", 0, 0))


def check_rules(facts, enums, rules: dict[str, Rule], tables: dict[str, DecisionTable] | None = None,
                lookups: dict[str, LookupTable] | None = None,
                builtins: dict[str, str] | None = None) -> tuple[dict[str, Rule], list[CatalogueError]]:
    """Type-check all rules of a product; returns the typed rules and the errors found."""
    checker = Checker(facts, enums, rules, tables, lookups, builtins)
    checked = checker.check_all()
    return checked, [e for e in checker.errors if not isinstance(e, _Skip)]


def _arithmetic_message(op: str, left: t.Type, right: t.Type) -> str:
    verb = _VERBS[op]
    if op == "+":
        return f"cannot add {t.describe(right)} to {t.describe(left)}"
    if op == "-":
        return f"cannot subtract {t.describe(right)} from {t.describe(left)}"
    if op == "*":
        return f"cannot multiply {t.describe(left)} by {t.describe(right)}"
    return f"cannot {verb} {t.describe(left)} by {t.describe(right)}"


def _arithmetic_hint(op: str, left: t.Type, right: t.Type) -> str | None:
    if left == t.DATE and right == t.NUMBER:
        return f"give the number a unit: {UNIT_NAMES} (e.g. '+ 5 days')"
    if {left, right} == {t.MONEY, t.PERCENT} and op in "+-":
        return "to take a percentage of an amount, multiply: price * 60%"
    if t.DURATION in (left, right) and t.DATE not in (left, right):
        return "durations can only be added to or subtracted from a date"
    return None


def evaluation_order(rules: dict[str, Rule]) -> list[Rule]:
    """The rules ordered so that each comes after every rule it refers to.

    A payment part's amount comes from its whole split, so a part comes after whatever the base and
    every share of its split refer to. The checker's own cycle check sees references only; this also
    rejects a share that refers to a part of its own split (its amount would need that share).
    """
    groups = payment_groups(rules)
    done: set[str] = set()
    visiting: list[str] = []
    order: list[Rule] = []

    def references(rule: Rule) -> list[str]:
        exprs = rule.all_exprs()
        if rule.section == "payments":
            exprs += [part.exprs[slot] for part in groups[rule.group] for slot in ("base", "share")
                      if slot in part.exprs]
        return [node.name for expr in exprs for node in n.walk(expr.node) if isinstance(node, n.RuleRef)]

    def visit(rule_id: str) -> None:
        if rule_id in done:
            return
        if rule_id in visiting:
            circle = visiting[visiting.index(rule_id):] + [rule_id]
            rule = rules[rule_id]
            if rule.section == "payments" and len(circle) == 2:
                raise TypeCheckError(
                    f"the split of payment '{rule.group}' refers to its own part '{rule_id}': the part's "
                    "amount comes from the split, so it cannot decide a share or the base", rule.pos,
                    hint="base the share on facts or other rules, not on an amount of the same payment")
            raise TypeCheckError("these rules refer to each other in a circle: " + " → ".join(circle), rule.pos,
                                 hint="a payment part's amount needs every share and the base of its payment; "
                                      "break the circle")
        visiting.append(rule_id)
        for name in references(rules[rule_id]):
            visit(name)
        visiting.pop()
        done.add(rule_id)
        order.append(rules[rule_id])

    for rule_id in rules:
        visit(rule_id)
    return order


def _percent_hint(node: n.Node, expected: tuple[t.Type, ...]) -> str | None:
    """A plain number where a percentage belongs is most often 0.6 or 60 meant as 60%."""
    if t.PERCENT not in expected or not isinstance(node, n.NumberLit):
        return None
    value = node.value * 100 if node.value <= 1 else node.value
    written = f"{value.normalize():f}%"
    return f"write a percentage with the % sign: {written} (a share of 0.6 or 60 is written 60%)"
