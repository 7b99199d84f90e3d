"""Evaluate a checked product's rules for one case by walking the expression trees, with a trace."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, DivisionByZero, InvalidOperation
from typing import Any

from . import nodes as n
from . import types as t
from .calendar import WEEKDAYS
from .errors import EvaluationError
from .limits import FIRST_DATE, LAST_DATE
from .model import Product, Rule
from .printer import to_text
from .values import (Duration, Open, Schedule, add_duration, checked, checked_cents, earliest, instalments,
                     merge_open, percent_of, recurring, split_amount, table_row, to_cents)
from .visitor import VISIT_NAMES, NodeVisitor

NOT_APPLICABLE = "does not apply to this case"


class Evaluation(NodeVisitor):
    """One product evaluated for one case. Rule values are computed once and remembered."""

    def __init__(self, product: Product, facts: dict[str, Any], as_of: dt.date, explain: bool = False,
                 rules_on: dt.date | None = None):
        self.product = product
        self.facts = facts
        self.as_of = as_of  # the day statuses are judged on
        self.rules_on = as_of if rules_on is None else rules_on  # the day whose values apply
        self.calendar = product.calendar
        self.explain = explain
        self._cache: dict[tuple[str, str], Any] = {}
        self._steps: list[dict] | None = None
        self.trace: list[dict] = []

    # -- rules -------------------------------------------------------------------------------

    def applies(self, rule: Rule) -> bool | Open:
        """Whether the rule's `when` holds: True, False or Open."""
        if "when" not in rule.exprs:
            return True
        return self.slot(rule, "when")

    def slot(self, rule: Rule, slot: str) -> Any:
        """The value of one expression of a rule, computed once per evaluation."""
        key = (rule.id, slot)
        if key not in self._cache:
            self._cache[key] = self._traced(rule, slot, rule.exprs[slot])
        return self._cache[key]

    def rule_value(self, rule: Rule) -> Any:
        """What a reference to the rule yields (a deadline's date, a payment part's amount, ...)."""
        key = (rule.id, "")
        if key in self._cache:
            return self._cache[key]
        applies = self.applies(rule)
        if applies is False:
            value = not_applicable(rule.id)
        elif isinstance(applies, Open):
            value = applies
        elif rule.section == "parameters":
            value = self.parameter(rule)
        elif rule.section == "values":
            value = self.slot(rule, "value")
        elif rule.section == "deadlines":
            value = self.rolled(rule, self.slot(rule, "due"))
        elif rule.section == "payments" and "schedule" in rule.exprs:
            value = self.schedule(rule)
            value = value if isinstance(value, Open) else value.total()
        elif rule.section == "payments":
            value = self.payment_amounts(rule.group)[rule.id]
        elif rule.section == "reports":
            value = self.rolled(rule, self.slot(rule, "date"))
        else:
            value = self.slot(rule, "test")
        self._cache[key] = value
        return value

    def parameter(self, rule: Rule) -> Any:
        for index, edition in enumerate(rule.editions):
            if ((edition.valid_from is None or edition.valid_from <= self.rules_on)
                    and (edition.valid_until is None or self.rules_on <= edition.valid_until)):
                key = (rule.id, f"edition{index}")
                if key not in self._cache:
                    self._cache[key] = self._traced(rule, "value", edition.expr)
                return self._cache[key]
        return no_value(rule.id, self.rules_on)

    def rolled(self, rule: Rule, value: Any) -> Any:
        """Apply the rule's roll to the next working day, if it declares one."""
        if rule.roll != "next_working_day" or isinstance(value, Open):
            return value
        if isinstance(value, tuple):
            return tuple(self._roll_one(rule, day) for day in value)
        return self._roll_one(rule, value)

    def _roll_one(self, rule: Rule, day: dt.date) -> dt.date:
        try:
            rolled = self.calendar.next_working_day(day)
        except ValueError as error:
            raise roll_error(rule, error) from None
        if rolled != day and self.explain:
            reason = self.calendar.holiday_name(day) or WEEKDAYS[day.weekday()]
            self.trace.append({"rule": rule.id, "note": f"{day.isoformat()} is not a working day ({reason}): "
                                                        f"rolled to {rolled.isoformat()}"})
        return rolled

    def payment_amounts(self, group: str) -> dict[str, Any]:
        """Amounts of every part of a split; Open parts when the base or a share is unknown."""
        key = (group, "split")
        if key in self._cache:
            return self._cache[key]
        parts = self.product.payment_groups[group]
        base = self.slot(parts[0], "base")
        shares = [self.slot(part, "share") for part in parts]
        result = dict(zip((part.id for part in parts), split_payment(group, parts, base, shares)))
        self._cache[key] = result
        return result

    def _traced(self, rule: Rule, slot: str, expr) -> Any:
        if not self.explain:
            return self.eval(expr.node)
        outer, self._steps = self._steps, []
        entry = {"rule": rule.id, "part": slot, "expression": " ".join(expr.text.split()),
                 "location": str(expr.pos), "steps": self._steps}
        if rule.citation is not None:
            entry["source"] = {"document": rule.citation.document, "section": rule.citation.section,
                               "quote": rule.citation.quote}
        value = self.eval(expr.node)
        entry["value"] = describe_value(value, expr.node.type)
        self._steps = outer
        self.trace.append(entry)
        return value

    # -- expressions -------------------------------------------------------------------------

    def visit(self, node: n.Node) -> Any:
        # NodeVisitor's dispatch, inlined as this runs for every node; each visit is a step of the trace.
        value = getattr(self, VISIT_NAMES[type(node)])(node)
        if self._steps is not None and not isinstance(node, (n.NumberLit, n.MoneyLit, n.PercentLit, n.DateLit,
                                                              n.TextLit, n.BoolLit, n.DurationLit, n.SetLit,
                                                              n.EnumLit, n.BuiltIn)):
            step = {"expression": to_text(node), "value": describe_value(value, node.type), "at": str(node.pos)}
            if isinstance(node, n.FactRef):
                step["from"] = "case" if node.name in self.facts else "missing fact"
            elif isinstance(node, n.RuleRef):
                step["from"] = f"rule {node.name}"
            self._steps.append(step)
        return value

    eval = visit  # the name the engine and the tests call it by

    def _note(self, note: str | None) -> None:
        if note and self._steps is not None:
            self._steps.append({"note": note})

    def _literal(self, node):
        return node.value

    visit_NumberLit = visit_MoneyLit = visit_PercentLit = visit_DateLit = visit_TextLit = visit_BoolLit = _literal
    visit_BuiltIn = _literal

    def visit_DurationLit(self, node):
        return Duration(node.amount, node.unit)

    def visit_SetLit(self, node):
        return frozenset(node.members)

    def visit_EnumLit(self, node):
        return node.member

    def visit_FactRef(self, node):
        if node.name in self.facts:
            return self.facts[node.name]
        return Open(frozenset((node.name,)))

    def visit_RuleRef(self, node):
        return self.rule_value(self.product.rules[node.name])

    def visit_AsOfRef(self, node):
        return self.as_of

    def visit_Negate(self, node):
        value = self.eval(node.operand)
        return value if isinstance(value, Open) else -value

    def visit_Arithmetic(self, node):
        left, right = self.eval(node.left), self.eval(node.right)
        if isinstance(left, Open) or isinstance(right, Open):
            return merge_open(left, right)
        try:
            return self._compute(node, left, right)
        except ARITHMETIC_ERRORS as error:
            raise arithmetic_error(node, error) from None

    def _compute(self, node, left, right):
        op, lt, rt, result = node.op, node.left.type, node.right.type, node.type
        if result == t.DATE:
            if lt == t.DURATION:
                left, right = right, left
            day, note = add_duration(left, right, self.calendar, -1 if op == "-" else 1)
            self._note(note)
            return day
        if lt == t.DATE and rt == t.DATE:
            return Decimal((left - right).days)
        if result == t.DURATION:
            return left.times(right) if lt == t.DURATION else right.times(left)
        if op == "*" and t.PERCENT in (lt, rt) and result != t.PERCENT:
            value = percent_of(left, right) if rt == t.PERCENT else percent_of(right, left)
        elif op == "*" and lt == t.PERCENT and rt == t.PERCENT:
            value = percent_of(left, right)
        elif op == "+":
            value = left + right
        elif op == "-":
            value = left - right
        elif op == "*":
            value = left * right
        else:
            value = left / right
        if result == t.MONEY:
            return checked_cents(value)
        return checked(value) if result == t.NUMBER or result == t.PERCENT else value

    def visit_Compare(self, node):
        left, right = self.eval(node.left), self.eval(node.right)
        if isinstance(left, Open) or isinstance(right, Open):
            return merge_open(left, right)
        op = node.op
        if op == "==":
            return left == right
        if op == "!=":
            return left != right
        if op == "<":
            return left < right
        if op == "<=":
            return left <= right
        if op == ">":
            return left > right
        return left >= right

    def visit_Member(self, node):
        element, container = self.eval(node.element), self.eval(node.container)
        if isinstance(element, Open) or isinstance(container, Open):
            return merge_open(element, container)
        return (element in container) != node.negated

    def visit_And(self, node):
        left = self.eval(node.left)
        if left is False:
            return False
        right = self.eval(node.right)
        if right is False:
            return False
        if isinstance(left, Open) or isinstance(right, Open):
            return merge_open(left, right)
        return True

    def visit_Or(self, node):
        left = self.eval(node.left)
        if left is True:
            return True
        right = self.eval(node.right)
        if right is True:
            return True
        if isinstance(left, Open) or isinstance(right, Open):
            return merge_open(left, right)
        return False

    def visit_Not(self, node):
        value = self.eval(node.operand)
        return value if isinstance(value, Open) else not value

    def visit_If(self, node):
        condition = self.eval(node.condition)
        if isinstance(condition, Open):
            # Name what either branch would still need too, so one round of questions suffices.
            return merge_open(condition, self.eval(node.then), self.eval(node.otherwise))
        return self.eval(node.then if condition else node.otherwise)

    def visit_Coalesce(self, node):
        left = self.eval(node.left)
        if not isinstance(left, Open):
            return left
        right = self.eval(node.right)
        # Knowing the left side would settle it too, so it stays among the missing facts.
        return merge_open(left, right) if isinstance(right, Open) else right

    def visit_Call(self, node):
        args = [self.eval(a) for a in node.args]
        if node.function == "earliest":  # the one function that does not need all its arguments
            return earliest(*args)
        if any(isinstance(a, Open) for a in args):
            return merge_open(*args)
        if node.function == "min":
            return min(args)
        if node.function == "max":
            return max(args)
        if node.function == "round":
            return to_cents(args[0]) if node.type == t.MONEY else args[0].quantize(Decimal(1), ROUND_HALF_UP)
        if node.function == "text":
            return text_of(args[0], node.args[0].type)
        try:
            day = self.calendar.next_working_day(args[0])
        except ValueError as error:
            raise arithmetic_error(node, error) from None
        if day != args[0]:
            self._note(f"{args[0].isoformat()} is not a working day: next working day is {day.isoformat()}")
        return day

    def visit_Every(self, node):
        step, start, until = self.eval(node.step), self.eval(node.start), self.eval(node.until)
        if isinstance(step, Open) or isinstance(start, Open) or isinstance(until, Open):
            return merge_open(step, start, until)
        try:
            return tuple(recurring(start, step, until, self.calendar))
        except ValueError as error:
            raise EvaluationError(str(error), node.pos) from None

    # -- payment schedules ---------------------------------------------------------------------

    def schedule(self, rule: Rule) -> Schedule | Open:
        """The instalments of a payment with a schedule, or Open while its dates are unknown."""
        key = (rule.id, "instalments")
        if key not in self._cache:
            dates = self.slot(rule, "schedule")
            every = rule.exprs["schedule"].node
            step, start, until = self.eval(every.step), self.eval(every.start), self.eval(every.until)
            self._cache[key] = schedule_payment(rule, dates, start, step, until, self.slot(rule, "amount"),
                                                self.calendar)
        return self._cache[key]

    # -- subset and superset, indicative values ------------------------------------------------

    def visit_SetRelation(self, node):
        left, right = self.eval(node.left), self.eval(node.right)
        if isinstance(left, Open) or isinstance(right, Open):
            return merge_open(left, right)
        return left <= right if node.op == "subset" else left >= right

    def visit_Indicative(self, node):
        return self.eval(node.operand)
    # -- decision tables and lookups ------------------------------------------------------------

    def visit_Decide(self, node):
        inputs = tuple(self.eval(value) for value in node.inputs)
        row = table_row(inputs, node.test_values, node.first)
        if isinstance(row, Open):
            return row
        self._note(f"row {row + 1} of table {node.table} applies ({node.rows[row]})" if node.rows
                   else f"row {row + 1} of table {node.table} applies")
        return self.eval(node.cells[row])

    def visit_Lookup(self, node):
        key = self.eval(node.key)
        if isinstance(key, Open):
            return key
        for member, value in node.entries:
            if member == key:
                return value
        raise EvaluationError(f"'{node.lookup}' has no entry for {key}", node.pos)  # the checker saw to every member


# Shared with interpreter.compiler, so that both backends say the same thing.

def not_applicable(rule_id: str) -> Open:
    """What a reference to a rule whose `when` is false yields."""
    return Open(reasons=(f"{rule_id} {NOT_APPLICABLE}",))


def no_value(rule_id: str, rules_on: dt.date) -> Open:
    """What a parameter yields when none of its editions is valid on the date whose rules apply."""
    return Open(reasons=(f"no value of {rule_id} is valid on {rules_on.isoformat()}",))


def text_of(value: Any, type_: t.Type) -> str:
    """text(x): any single value written as text."""
    shown = describe_value(value, type_)
    return ("true" if shown else "false") if isinstance(shown, bool) else str(shown)


# What an arithmetic operation can raise on well-typed operands (division by zero, dates out of range).
ARITHMETIC_ERRORS = (DivisionByZero, InvalidOperation, ZeroDivisionError, ValueError, OverflowError)


def arithmetic_error(node: n.Node, error: Exception) -> EvaluationError:
    if isinstance(error, (DivisionByZero, InvalidOperation, ZeroDivisionError)):
        return EvaluationError(f"division by zero in '{to_text(node)}'", node.pos)
    if node.type == t.DATE and not str(error).startswith("no working day follows"):
        error = OUT_OF_DATES  # Python says 'date value out of range' or 'year 10000 is out of range'
    return EvaluationError(f"cannot compute '{to_text(node)}': {error}", node.pos)


OUT_OF_DATES = f"the date would fall outside {FIRST_DATE.isoformat()} … {LAST_DATE.isoformat()}"


def roll_error(rule: Rule, error: Exception) -> EvaluationError:
    """A deadline or report that cannot roll to a working day (only near 9999-12-31)."""
    slot = rule.exprs.get("due") or rule.exprs.get("date")
    return EvaluationError(f"cannot roll '{rule.id}' to the next working day: {error}",
                           slot.pos if slot is not None else rule.pos)


def split_payment(group: str, parts, base: Any, shares) -> tuple[Any, ...]:
    """The amounts of the parts of a split, in order; all unknown when the base or a share is."""
    unknown = merge_open(base, *shares)
    if unknown.missing or unknown.reasons or any(isinstance(v, Open) for v in (base, *shares)):
        return (unknown,) * len(parts)
    total = sum(shares, Decimal(0))
    if total != 100:
        raise EvaluationError(f"the shares of payment '{group}' add up to {format_percent(total)}, not 100%",
                              parts[0].pos, hint="change the percentages so that together they make 100%")
    for part, share in zip(parts, shares):
        problem = share_problem(share)
        if problem:
            raise EvaluationError(f"the share of '{part.id}' {problem}", part.pos,
                                  hint="each share of a split is a percentage from 0% to 100%")
    if base < 0:
        raise EvaluationError(f"the amount to split in payment '{group}' is negative ({to_cents(base):.2f})",
                              parts[0].pos, hint="a payment is never negative: check the base and the facts it "
                                                 "reads (the vocabulary's minimum of a money fact)")
    return tuple(split_amount(base, list(shares)))


def schedule_payment(rule: Rule, dates: Any, start: Any, step: Any, until: Any, amount: Any, calendar) -> Any:
    """The instalments of a scheduled payment: Open while its dates are unknown; dated instalments without
    amounts while only the amount per period is."""
    if isinstance(dates, Open):
        return merge_open(dates, amount)
    if isinstance(amount, Open):
        return Schedule(instalments(dates, start, step, until, None, calendar), amount)
    if amount < 0:
        raise EvaluationError(f"the amount per period of payment '{rule.id}' is negative ({to_cents(amount):.2f})",
                              rule.exprs["amount"].pos,
                              hint="a payment is never negative: check the amount and the facts it reads")
    return Schedule(instalments(dates, start, step, until, amount, calendar))


def share_problem(share: Decimal) -> str | None:
    """Why a split's share is not a percentage from 0% to 100%, or None."""
    if share < 0:
        return f"is {format_percent(share)}: a share cannot be negative"
    if share > 100:
        return f"is {format_percent(share)}: a share cannot be more than 100%"
    return None


def describe_value(value: Any, type_: t.Type | None) -> Any:
    """A JSON-ready rendering of a value of the given static type."""
    if isinstance(value, Open):
        parts = []
        if value.missing:
            parts.append("needs " + ", ".join(sorted(value.missing)))
        parts.extend(value.reasons)
        return "unknown (" + "; ".join(parts) + ")" if parts else "unknown"
    kind = type_.__class__
    if kind is t.Type or kind is t.ListType:
        # By name, not by ==: comparing dataclasses field by field is slow at a million results.
        describe = _DESCRIBE.get(type_.name)
        return value if describe is None else describe(value)
    if kind is t.SetType:
        return [m for m in type_.enum.members if m in value]
    return value


def format_percent(value: Decimal) -> str:
    return f"{format_number(value)}%"


def _money(value: Decimal) -> str:
    return f"{to_cents(value):.2f}"


def _dates(value) -> list[str]:
    return [day.isoformat() for day in value]


def format_number(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


_DESCRIBE = {
    t.MONEY.name: _money, t.PERCENT.name: format_percent, t.NUMBER.name: format_number,
    t.DATE.name: dt.date.isoformat, t.DATES.name: _dates, t.DURATION.name: str,
}
