"""Evaluate a checked product's rules for one case by walking the expression trees, with a trace."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from . import nodes as n
from . import types as t
from .calendar import WEEKDAYS
from .errors import EvaluationError
from .model import Product, Rule
from .printer import to_text
from .results import (CheckResult, DeadlineResult, PaymentResult, ReportResult, Result, check_result, deadline_result,
                      payment_result, payment_trigger, report_results, schedule_result, value_type)
from .values import (ARITHMETIC_ERRORS, DOMAIN, Duration, Open, Schedule, add_duration, arithmetic_error, checked,
                     checked_cents, describe_value, earliest, merge_open, no_value, not_applicable, percent_of,
                     recurring, roll_error, schedule_payment, split_payment, table_row, text_of, to_cents)
from .visitor import VISIT_NAMES, NodeVisitor


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
            entry["source"] = {"document": rule.citation.document, "title": rule.citation.title,
                               "section": rule.citation.section, "quote": rule.citation.quote}
        value = self.eval(expr.node)
        entry["value"] = describe_value(value, expr.node.type)
        self._steps = outer
        self.trace.append(entry)
        return value

    # -- expressions -------------------------------------------------------------------------

    def visit(self, node: n.Node) -> Any:
        # NodeVisitor's dispatch, inlined as this runs for every node; each visit is a step of the trace.
        value = getattr(self, VISIT_NAMES[type(node)])(node)
        if self._steps is not None and not isinstance(node, n.CONSTANTS):
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


def evaluate(product: Product, facts: dict[str, Any], as_of: dt.date, *, explain: bool = False,
             fact_labels: dict[str, str] | None = None, rules_on: dt.date | None = None) -> Result:
    """Evaluate every rule of a product for one case: its rules as on `rules_on` (default `as_of`),
    its statuses as on `as_of`."""
    with localcontext(DOMAIN):
        return _evaluate(product, facts, as_of, explain, fact_labels, rules_on)


def _evaluate(product: Product, facts: dict[str, Any], as_of: dt.date, explain: bool,
              fact_labels: dict[str, str] | None, rules_on: dt.date | None = None) -> Result:
    run = Evaluation(product, facts, as_of, explain=explain, rules_on=rules_on)
    result = Result(product=product.code, title=product.title, edition=product.edition, as_of=as_of,
                    rules_on=run.rules_on, indicative=product.indicative_values)
    labels = fact_labels or {}
    for rule in product.rules.values():
        applies = run.applies(rule)
        if applies is False:
            result.not_applicable.append(rule.id)
            continue
        if rule.section == "deadlines":
            result.deadlines.append(_deadline(run, rule, applies))
        elif rule.section == "payments":
            result.payments.append(_payment(run, rule, applies, labels))
        elif rule.section == "reports":
            result.reports.extend(_reports(run, rule, applies))
        elif rule.section == "checks":
            result.checks.append(_check(run, rule, applies))
        else:
            result.values[rule.id] = run.rule_value(rule) if applies is True else applies
            result.value_types[rule.id] = value_type(rule)
    result.trace = run.trace
    return result


def _deadline(run: Evaluation, rule: Rule, applies) -> DeadlineResult:
    due = run.rule_value(rule) if applies is True else applies
    done = run.slot(rule, "met_by") if "met_by" in rule.exprs else Open()
    return deadline_result(rule, due, done, run.as_of)


def _payment(run: Evaluation, rule: Rule, applies, labels: dict[str, str]) -> PaymentResult:
    if "schedule" in rule.exprs:
        return schedule_result(rule, run.schedule(rule) if applies is True else applies, run.as_of)
    share = run.slot(rule, "share") if applies is True else applies
    amount = run.rule_value(rule) if applies is True else applies
    on = run.slot(rule, "on") if "on" in rule.exprs and applies is True else Open()
    return payment_result(rule, payment_trigger(rule, labels), share, amount, on, run.as_of)


def _reports(run: Evaluation, rule: Rule, applies) -> list[ReportResult]:
    return report_results(rule, run.rule_value(rule) if applies is True else applies)


def _check(run: Evaluation, rule: Rule, applies) -> CheckResult:
    return check_result(rule, run.rule_value(rule) if applies is True else applies)
