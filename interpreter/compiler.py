"""Compile a checked product into one Python function (generated source, compiled once) that evaluates a case.

The generated code computes exactly what the tree walker in interpreter.evaluator computes, rule by
rule in dependency order, and assembles the Result with the same functions of interpreter.results.
Text from a card (names, labels, literals) never enters the generated source: every such value is
a constant in the function's namespace, under a name the compiler makes up (k0, k1, ...).
Each operation that can fail at run time sits on a line of its own, and a table maps those lines
back to the expression node, so a runtime problem still names the card's file:line. Every other line
maps back to the card too (the expression, rule or card it was made for), and the source is registered
with linecache, so even an unexpected exception in compiled code shows the generated line, marked
with its card position, and a note naming that position.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import linecache
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal, getcontext, setcontext
from typing import Any, Callable

from . import nodes as n
from . import types as t
from .checker import evaluation_order
from .errors import EvaluationError, Position
from .model import Product, Rule
from .results import (Result, check_result, deadline_result, payment_result, payment_trigger,
                      report_results, schedule_result, unknown_check, value_type)
from .values import (ARITHMETIC_ERRORS, CENT, DOMAIN, HUNDRED, NOTHING_MISSING, Duration, Open, add_duration,
                     add_months, arithmetic_error, checked, checked_cents, earliest, merge_open, no_value, not_applicable,
                     recurring, roll_error, schedule_payment, split_payment, table_row, text_of)
from .visitor import NodeVisitor


# Names every generated function may use; chosen here, never taken from a card.
RUNTIME = {
    "Open": Open, "merge_open": merge_open, "Decimal": Decimal, "CENT": CENT, "ONE": Decimal(1),
    "HALF_UP": ROUND_HALF_UP, "HUNDRED": HUNDRED, "EMPTY": NOTHING_MISSING, "add_months": add_months,
    "add_duration": add_duration, "recurring": recurring, "earliest": earliest, "split_payment": split_payment,
    "Result": Result, "deadline_result": deadline_result, "payment_result": payment_result,
    "report_results": report_results, "check_result": check_result, "unknown_check": unknown_check,
    "checked": checked, "cents": checked_cents,
    "schedule_payment": schedule_payment, "schedule_result": schedule_result,
    "table_row": table_row,
}

ARITHMETIC, EVERY, ROLL = "arithmetic", "every", "roll"
# The operators the grammar has; anything else in a tree would be a bug, and never reaches the source.
COMPARISONS = ("==", "!=", "<", "<=", ">", ">=")
ARITHMETIC_OPERATORS = ("+", "-", "*", "/")


class _Compiled:
    """Generated code and the table that maps its risky lines back to the card's expressions."""

    def __init__(self, function: Callable, origins: dict[int, tuple[n.Node, str]], filename: str, source: str,
                 places: dict[int, Position] | None = None):
        self.source = source  # kept for reading and debugging; never executed again
        self._function = function
        self._origins = origins
        self._filename = filename
        self.places = places or {}  # every generated line -> the card position it was made for

    def __call__(self, facts: dict[str, Any], as_of: dt.date, rules_on: dt.date | None = None) -> Any:
        # The evaluation's decimal context, shared rather than copied as localcontext() would: a third of
        # the cost per case, and only its flags, which nothing reads, are ever written to.
        outer = getcontext()
        setcontext(DOMAIN)
        try:
            return self._function(facts, as_of, as_of if rules_on is None else rules_on)
        except (ArithmeticError, ValueError) as error:
            located = self._locate(error)
            if located is None:
                self._note_place(error)
                raise
            raise located from None
        except EvaluationError:
            raise  # already at its card position
        except Exception as error:  # a bug, not the case's fault: say where in the card it happened
            self._note_place(error)
            raise
        finally:
            setcontext(outer)

    def _failed_line(self, error: Exception) -> int | None:
        """The line of generated code the error came from: the innermost frame of it."""
        line = None
        trace = error.__traceback__
        while trace is not None:
            if trace.tb_frame.f_code.co_filename == self._filename:
                line = trace.tb_lineno
            trace = trace.tb_next
        return line

    def _locate(self, error: Exception) -> EvaluationError | None:
        """The same error the tree walker raises for the operation that failed, at its card position."""
        node, kind = self._origins.get(self._failed_line(error), (None, None))
        return runtime_error(node, kind, error)

    def _note_place(self, error: Exception) -> None:
        place = self.places.get(self._failed_line(error))
        if place is not None and hasattr(error, "add_note"):  # notes are Python 3.11+
            error.add_note(f"in the compiled rules of {place}")


class CompiledProduct(_Compiled):
    """A product compiled to Python: call it with typed facts, as_of and rules_on to get a Result."""

    def __init__(self, product: Product, *compiled):
        super().__init__(*compiled)
        self.product = product


class CompiledExpression(_Compiled):
    """One checked expression over facts, compiled: call it with typed facts and as_of."""


def runtime_error(node: n.Node | None, kind: str | None, error: Exception) -> EvaluationError | None:
    """The evaluator's message for an operation that failed; None when the evaluator lets it through."""
    if kind == ARITHMETIC and isinstance(error, ARITHMETIC_ERRORS):
        return arithmetic_error(node, error)
    if kind == EVERY and isinstance(error, ValueError):
        return EvaluationError(str(error), node.pos)
    if kind == ROLL and isinstance(error, ValueError):
        return roll_error(node, error)  # here the node is the rule whose date rolls
    return None


class _Source:
    """Lines of generated Python with indentation, remembering which node each risky line computes
    and which card position every line was made for."""

    def __init__(self, depth: int = 0):
        self.lines: list[str] = []
        self.origins: dict[int, tuple[n.Node, str]] = {}
        self.places: dict[int, Position] = {}
        self.at: Position | None = None  # the card position of what is being compiled now
        self.depth = depth

    def line(self, text: str, node: n.Node | None = None, kind: str | None = None) -> None:
        self.lines.append("    " * self.depth + text)
        if node is not None:
            self.origins[len(self.lines)] = (node, kind)
        place = getattr(node, "pos", None) or self.at
        if place is not None:
            self.places[len(self.lines)] = place

    @contextmanager
    def located(self, place: Position | None):
        """Lines written inside are made for `place` (the card position of a node, rule or card)."""
        outer = self.at
        self.at = place or outer
        try:
            yield
        finally:
            self.at = outer

    @contextmanager
    def block(self, header: str):
        self.line(header)
        self.depth += 1
        start = len(self.lines)
        yield
        if len(self.lines) == start:
            self.line("pass")
        self.depth -= 1


class _ExpressionCompiler(NodeVisitor):
    """Turns typed expression trees into Python statements; each expression yields (code, may_be_open)."""

    def __init__(self, calendar, rule_vars: dict[str, str] | None = None):
        self.src = _Source(depth=1)
        self.namespace: dict[str, Any] = dict(RUNTIME)
        self.namespace.update({
            "calendar": calendar, "shift_working_days": calendar.shift_working_days,
            "next_working_day": calendar.next_working_day, "text_of": text_of,
        })
        self.facts: dict[str, str] = {}
        self.rule_vars = rule_vars or {}
        self.rule_open: dict[str, bool] = {}  # whether a compiled rule's value can be unknown
        self.literals: dict[str, n.Node] = {}  # parameters that are one literal, used in place
        self._temps = itertools.count()
        self._constants = itertools.count()

    # -- names -------------------------------------------------------------------------------

    def const(self, value: Any) -> str:
        name = f"k{next(self._constants)}"
        self.namespace[name] = value
        return name

    def temp(self) -> str:
        return f"t{next(self._temps)}"

    def fact(self, name: str) -> str:
        if name not in self.facts:
            self.facts[name] = f"f{len(self.facts)}"
        return self.facts[name]

    def prologue(self) -> list[str]:
        """Read every fact the code uses once, as an Open naming it when the case lacks it."""
        lines = ["    get = facts.get"]
        for name, var in self.facts.items():
            lines.append(f"    {var} = get({self.const(name)}, {self.const(Open(frozenset((name,))))})")
        return lines

    # -- expressions -------------------------------------------------------------------------

    def expr(self, node: n.Node) -> tuple[str, bool]:
        node = self.resolved(node)
        with self.src.located(node.pos):
            return self.visit(node)

    def generic_visit(self, node: n.Node) -> tuple[str, bool]:
        # Every kind of checked node has a visit_ method; any other is a bug in the engine, not in a card.
        raise TypeError(f"the compiler has no visit_{type(node).__name__}")

    def resolved(self, node: n.Node) -> n.Node:
        """A reference to a parameter that is one literal (`max_price: €5000`) is that literal."""
        if isinstance(node, n.RuleRef):
            return self.literals.get(node.name, node)
        return node

    def named(self, node: n.Node) -> tuple[str, bool]:
        """Like expr, but the code is a plain name, safe to mention several times."""
        code, may_be_open = self.expr(node)
        if code.isidentifier():
            return code, may_be_open
        name = self.temp()
        self.src.line(f"{name} = {code}")
        return name, may_be_open

    def _literal(self, node):
        return self.const(node.value), False

    visit_NumberLit = visit_MoneyLit = visit_PercentLit = visit_DateLit = visit_TextLit = _literal

    def visit_BoolLit(self, node):
        return ("True" if node.value else "False"), False

    def visit_DurationLit(self, node):
        return self.const(Duration(node.amount, node.unit)), False

    def visit_SetLit(self, node):
        return self.const(frozenset(node.members)), False

    def visit_EnumLit(self, node):
        return self.const(node.member), False

    def visit_FactRef(self, node):
        return self.fact(node.name), True

    def visit_RuleRef(self, node):
        if node.name not in self.rule_vars:
            raise ValueError(f"a lone expression cannot refer to the rule '{node.name}'")
        return self.rule_vars[node.name], self.rule_open.get(node.name, True)

    def visit_AsOfRef(self, node):
        return "as_of", False

    @staticmethod
    def merged(compiled: list[tuple[str, bool]]) -> str:
        """Code merging the unknowns among values, of which at least one is unknown at run time: only
        those that can be unknown take part, and one alone needs no merging."""
        unknown = [code for code, may_be_open in compiled if may_be_open]
        if len(unknown) == 1:
            return unknown[0]
        if len(unknown) == 2:  # the common case, without merge_open's loop over its arguments
            a, b = unknown
            return f"(({a} | {b}) if {b}.__class__ is Open else {a}) if {a}.__class__ is Open else {b}"
        return f"merge_open({', '.join(unknown)})"

    def _strict(self, node: n.Node, operands: tuple[n.Node, ...], build: Callable[..., str],
                kind: str | None = None, inline: bool = False) -> tuple[str, bool]:
        """An operation on values that are all needed: unknown when any operand is unknown."""
        compiled = [self.named(operand) for operand in operands]
        codes = [code for code, _ in compiled]
        unknown = [f"{code}.__class__ is Open" for code, may_be_open in compiled if may_be_open]
        if not unknown and inline:
            return f"({build(*codes)})", False
        result = self.temp()
        if not unknown:
            self.src.line(f"{result} = {build(*codes)}", node, kind)
            return result, False
        with self.src.block(f"if {' or '.join(unknown)}:"):
            self.src.line(f"{result} = {self.merged(compiled)}")
        with self.src.block("else:"):
            self.src.line(f"{result} = {build(*codes)}", node, kind)
        return result, True

    def visit_Negate(self, node):
        return self._strict(node, (node.operand,), lambda a: f"-{a}", inline=True)

    def visit_Not(self, node):
        return self._strict(node, (node.operand,), lambda a: f"not {a}", inline=True)

    def visit_Compare(self, node):
        op = _operator(node.op, COMPARISONS)
        return self._strict(node, (node.left, node.right), lambda a, b: f"{a} {op} {b}", inline=True)

    def visit_Member(self, node):
        word = "not in" if node.negated else "in"
        return self._strict(node, (node.element, node.container), lambda a, b: f"{a} {word} {b}", inline=True)

    def visit_Arithmetic(self, node):
        if node.type == t.DATE:
            return self._date_shift(node)
        return self._strict(node, (node.left, node.right), lambda a, b: self._arithmetic(node, a, b), ARITHMETIC)

    def _arithmetic(self, node: n.Arithmetic, a: str, b: str) -> str:
        """Python for one arithmetic operation, chosen by the operand types as Evaluation._compute does."""
        op, lt, rt, result = _operator(node.op, ARITHMETIC_OPERATORS), node.left.type, node.right.type, node.type
        if lt == t.DATE and rt == t.DATE:
            return f"Decimal(({a} - {b}).days)"
        if result == t.DURATION:
            return f"{a}.times({b})" if lt == t.DURATION else f"{b}.times({a})"
        if op == "*" and t.PERCENT in (lt, rt) and result != t.PERCENT:
            value = f"{a} * {b} / HUNDRED" if rt == t.PERCENT else f"{b} * {a} / HUNDRED"
        elif op == "*" and lt == t.PERCENT and rt == t.PERCENT:
            value = f"{a} * {b} / HUNDRED"
        else:
            value = f"{a} {op} {b}"
        if result == t.MONEY:
            return f"cents({value})"
        return f"checked({value})" if result in (t.NUMBER, t.PERCENT) else value

    def _date_shift(self, node: n.Arithmetic):
        """A date plus or minus a duration; a written duration becomes the cheapest exact operation."""
        day, duration = (node.right, node.left) if node.left.type == t.DURATION else (node.left, node.right)
        duration = self.resolved(duration)
        sign = -1 if node.op == "-" else 1
        if isinstance(duration, n.DurationLit):
            amount = duration.amount * sign
            if duration.unit in ("days", "weeks"):
                step = self.const(dt.timedelta(**{duration.unit: amount}))
                build = lambda a: f"{a} + {step}"  # noqa: E731
            elif duration.unit in ("months", "years"):
                months = self.const(amount * (12 if duration.unit == "years" else 1))
                build = lambda a: f"add_months({a}, {months})"  # noqa: E731
            else:
                count = self.const(amount)
                build = lambda a: f"shift_working_days({a}, {count})"  # noqa: E731
            return self._strict(node, (day,), build, ARITHMETIC)
        factor = self.const(sign)
        return self._strict(node, (day, duration), lambda a, b: f"add_duration({a}, {b}, calendar, {factor})[0]",
                            ARITHMETIC)

    def visit_Call(self, node):
        name = node.function
        if name == "earliest":
            compiled = [self.named(arg) for arg in node.args]
            result = self.temp()
            self.src.line(f"{result} = earliest({', '.join(code for code, _ in compiled)})")
            return result, all(may_be_open for _, may_be_open in compiled)
        if name in ("min", "max"):
            build = lambda *args: f"{name}({', '.join(args)})"  # noqa: E731
        elif name == "round":
            unit = "CENT" if node.type == t.MONEY else "ONE"
            build = lambda a: f"{a}.quantize({unit}, HALF_UP)"  # noqa: E731
        elif name == "text" and (isinstance(node.args[0].type, t.EnumType) or node.args[0].type == t.TEXT):
            build = lambda a: a  # noqa: E731 - a member or a text is already its own text
        elif name == "text":
            shown = self.const(node.args[0].type)
            build = lambda a: f"text_of({a}, {shown})"  # noqa: E731
        else:
            build = lambda a: f"next_working_day({a})"  # noqa: E731
            return self._strict(node, node.args, build, ARITHMETIC)
        return self._strict(node, node.args, build)

    def visit_Every(self, node):
        return self._strict(node, (node.step, node.start, node.until),
                            lambda step, start, until: f"tuple(recurring({start}, {step}, {until}, calendar))", EVERY)

    def visit_And(self, node):
        return self._logical(node, stop="False")

    def visit_Or(self, node):
        return self._logical(node, stop="True")

    def _logical(self, node, stop: str):
        """Kleene logic: a known deciding side wins, even when the other side is unknown."""
        left, left_open = self.named(node.left)
        result = self.temp()
        with self.src.block(f"if {left} is {stop}:"):
            self.src.line(f"{result} = {stop}")
        with self.src.block("else:"):
            right, right_open = self.named(node.right)
            if not (left_open or right_open):
                self.src.line(f"{result} = {right}")
            else:
                unknown = " or ".join(f"{code}.__class__ is Open" for code, may_be_open
                                      in ((left, left_open), (right, right_open)) if may_be_open)
                other = "True" if stop == "False" else "False"
                merged = self.merged([(left, left_open), (right, right_open)])
                self.src.line(f"{result} = {stop} if {right} is {stop} else "
                              f"({merged} if {unknown} else {other})")
        return result, left_open or right_open

    def visit_If(self, node):
        condition, condition_open = self.named(node.condition)
        result = self.temp()
        may_be_open = condition_open
        if condition_open:
            with self.src.block(f"if {condition}.__class__ is Open:"):
                # Name what either branch would still need too, as the tree walker does.
                branches = [(condition, True), self.expr(node.then), self.expr(node.otherwise)]
                self.src.line(f"{result} = {self.merged(branches)}")
        with self.src.block(f"{'elif' if condition_open else 'if'} {condition}:"):
            then, then_open = self.expr(node.then)
            self.src.line(f"{result} = {then}")
        with self.src.block("else:"):
            otherwise, otherwise_open = self.expr(node.otherwise)
            self.src.line(f"{result} = {otherwise}")
        return result, may_be_open or then_open or otherwise_open

    def visit_Coalesce(self, node):
        left, left_open = self.named(node.left)
        if not left_open:
            return left, False
        result = self.temp()
        with self.src.block(f"if {left}.__class__ is not Open:"):
            self.src.line(f"{result} = {left}")
        with self.src.block("else:"):
            right, right_open = self.named(node.right)
            if right_open:
                self.src.line(f"{result} = merge_open({left}, {right}) if {right}.__class__ is Open else {right}")
            else:
                self.src.line(f"{result} = {right}")
        return result, right_open

    # -- decision tables and lookups ------------------------------------------------------------

    def visit_Decide(self, node):
        """The row is chosen as values.table_row chooses it; only that row's cell is computed.

        Inputs that are constants (parameters of one literal value) choose the row here, once. Under the
        hit policy 'unique' a row whose tests all pass is the answer (the checker proved the rows
        disjoint), so each row becomes one test in line; only when none passes, which needs an unknown
        input, is what is missing worked out, as table_row would. Under 'first' table_row chooses the row
        at run time."""
        inputs = [self.resolved(value) for value in node.inputs]
        if all(isinstance(value, (n.EnumLit, n.BoolLit)) for value in inputs):
            row = table_row(tuple(n.test_value(value) for value in inputs), node.test_values, node.first)
            return self.expr(node.cells[row])
        compiled = [self.named(value) for value in node.inputs]
        may_be_open = any(value_open for _, value_open in compiled)
        if node.first:
            return self._decide_at_run_time(node, compiled, may_be_open)
        result = self.temp()
        conditions = [" and ".join(self._passes(code, test) for (code, _), test in zip(compiled, tests)
                                   if test is not None) or "True" for tests in node.test_values]
        # With every input known one row passes (the checker proved the table complete): the last needs no test.
        cell_open = self._cell_chain(result, conditions, node.cells, "if", last_is_else=not may_be_open)
        if may_be_open:
            with self.src.block("else:"):
                self._what_no_row_needs(node, compiled, result)
        return result, may_be_open or cell_open

    def _what_no_row_needs(self, node, compiled, result: str) -> None:
        """What table_row answers under 'unique' when no row passed in line: the unknown inputs of every
        row that may still apply, merged row by row in table order. Written out per row, since the row
        tests are known here and a call of table_row was the larger part of a partial case's table."""
        self.src.line(f"{result} = EMPTY")
        for tests in node.test_values:
            tested = [(code, value_open, test) for (code, value_open), test in zip(compiled, tests)
                      if test is not None]
            unknown = [code for code, value_open, _ in tested if value_open]
            if not unknown:  # all its inputs are known, and it did not pass
                continue
            conditions = [f"({code}.__class__ is Open or {self._passes(code, test)})" if value_open
                          else self._passes(code, test) for code, value_open, test in tested]
            with self.src.block(f"if {' and '.join(conditions)}:"):
                for code in unknown:
                    with self.src.block(f"if {code}.__class__ is Open:"):
                        self.src.line(f"{result} = {result} | {code}")

    def _passes(self, code: str, test) -> str:
        """Python that is true when a known input passes one test of a row (an unknown one never does)."""
        if test is True or test is False:
            return f"{code} is {test}"
        if test.__class__ is frozenset:
            return f"{code} in {self.const(test)}"
        return f"{code} == {self.const(test)}"

    def _decide_at_run_time(self, node, compiled, may_be_open):
        inputs = "".join(f"{code}, " for code, _ in compiled)
        row, result = self.temp(), self.temp()
        self.src.line(f"{row} = table_row(({inputs}), {self.const(node.test_values)}, True)")
        if may_be_open:
            with self.src.block(f"if {row}.__class__ is Open:"):
                self.src.line(f"{result} = {row}")
        conditions = [f"{row} == {index}" for index in range(len(node.cells))]
        cell_open = self._cell_chain(result, conditions, node.cells, "elif" if may_be_open else "if", last_is_else=True)
        return result, may_be_open or cell_open

    def _cell_chain(self, result: str, conditions: list[str], cells, keyword: str, last_is_else: bool) -> bool:
        """An if/elif chain that puts the cell of the first condition that holds into `result` (the last
        cell under else:, when it is not the only branch); whether a cell can be unknown."""
        cell_open = False
        for index, (condition, cell) in enumerate(zip(conditions, cells)):
            last = last_is_else and index == len(cells) - 1 and keyword == "elif"
            with self.src.block("else:" if last else f"{keyword} {condition}:"):
                code, this_open = self.expr(cell)
                self.src.line(f"{result} = {code}")
            keyword = "elif"
            cell_open = cell_open or this_open
        return cell_open

    def visit_Lookup(self, node):
        entries = self.const(dict(node.entries))
        return self._strict(node, (node.key,), lambda key: f"{entries}[{key}]", inline=True)


    # -- subset and superset, indicative values, the product's own names ---------------------------

    def visit_SetRelation(self, node):
        op = {"subset": "<=", "superset": ">="}[node.op]
        return self._strict(node, (node.left, node.right), lambda a, b: f"{a} {op} {b}", inline=True)

    def visit_Indicative(self, node):
        return self.expr(node.operand)

    def visit_BuiltIn(self, node):
        return self.const(node.value), False


def _operator(op: str, allowed: tuple[str, ...]) -> str:
    if op not in allowed:
        raise ValueError(f"the compiler does not know the operator {op!r}")
    return op


class _ProductCompiler:
    """Lays out a product's rules as one function: rule values in dependency order, then the Result."""

    def __init__(self, product: Product, fact_labels: dict[str, str]):
        self.product = product
        self.labels = fact_labels
        self.index = {rule_id: i for i, rule_id in enumerate(product.rules)}
        self.x = _ExpressionCompiler(product.calendar, {rule_id: f"r{i}" for rule_id, i in self.index.items()})
        self.x.namespace["no_value"] = no_value
        self.x.namespace["roll"] = _roller(product.calendar)
        self.src = self.x.src
        self.splits: dict[str, str] = {}

    def compile(self) -> CompiledProduct:
        self.src.at = self.place
        for rule in self.product.in_section("parameters"):
            only = rule.editions[0]
            if (len(rule.editions) == 1 and only.valid_from is None and only.valid_until is None
                    and isinstance(only.expr.node, n.CONSTANTS)):
                self.x.literals[rule.id] = only.expr.node
        groups = self.product.payment_groups
        for group in groups:
            self.splits[group] = f"s{len(self.splits)}"
            self.src.line(f"{self.splits[group]} = None")
        for rule in evaluation_order(self.product.rules):
            self._rule(rule)
        self._assemble()
        return self._build()

    # -- rule values -------------------------------------------------------------------------

    def _rule(self, rule: Rule) -> None:
        with self.src.located(rule.pos):
            self._rule_value(rule)

    def _rule_value(self, rule: Rule) -> None:
        i, src = self.index[rule.id], self.src
        if "when" not in rule.exprs:
            self.x.rule_open[rule.id] = self._value(rule, i)
            return
        code, _ = self.x.expr(rule.exprs["when"].node)
        src.line(f"w{i} = {code}")
        with src.block(f"if w{i} is True:"):
            self._value(rule, i)
        with src.block(f"elif w{i} is False:"):
            src.line(f"r{i} = {self.x.const(not_applicable(rule.id))}")
        with src.block("else:"):
            src.line(f"r{i} = w{i}")
            if rule.section == "deadlines":
                self._slot(rule, "met_by", f"m{i}")
            elif rule.section == "payments" and "schedule" in rule.exprs:
                src.line(f"x{i} = w{i}")
            elif rule.section == "payments":
                src.line(f"ps{i} = w{i}")
                src.line(f"on{i} = EMPTY")

    def _slot(self, rule: Rule, slot: str, var: str) -> bool:
        if slot in rule.exprs:
            return self._slot_of(rule.exprs[slot].node, var)
        self.src.line(f"{var} = EMPTY")
        return True

    def _value(self, rule: Rule, i: int) -> bool:
        """The rule's value in r{i}, plus the extra parts its result entry needs; whether it can be unknown."""
        var = f"r{i}"
        if rule.section == "parameters":
            return self._editions(rule, var)
        if rule.section == "payments" and "schedule" in rule.exprs:
            self._schedule(rule, i)
            return True
        if rule.section == "payments":
            self._payment(rule, i)
            return True
        slot = {"values": "value", "deadlines": "due", "reports": "date", "checks": "test"}[rule.section]
        may_be_open = self._slot(rule, slot, var)
        if rule.roll == "next_working_day":
            self.src.line(f"{var} = roll({var})", rule, ROLL)
        if rule.section == "deadlines":
            self._slot(rule, "met_by", f"m{i}")
        return may_be_open

    def _editions(self, rule: Rule, var: str) -> bool:
        """The value of the edition valid on the date whose rules apply."""
        first = rule.editions[0]
        if len(rule.editions) == 1 and first.valid_from is None and first.valid_until is None:
            return self._slot_of(first.expr.node, var)
        keyword = "if"
        for edition in rule.editions:
            tests = []
            if edition.valid_from is not None:
                tests.append(f"{self.x.const(edition.valid_from)} <= rules_on")
            if edition.valid_until is not None:
                tests.append(f"rules_on <= {self.x.const(edition.valid_until)}")
            with self.src.block(f"{keyword} {' and '.join(tests) or 'True'}:"):
                self._slot_of(edition.expr.node, var)
            keyword = "elif"
        with self.src.block("else:"):
            self.src.line(f"{var} = no_value({self.x.const(rule.id)}, rules_on)")
        return True

    def _slot_of(self, node: n.Node, var: str) -> bool:
        code, may_be_open = self.x.expr(node)
        self.src.line(f"{var} = {code}")
        return may_be_open

    def _payment(self, rule: Rule, i: int) -> None:
        """A payment part: its amount comes from its group's split, worked out by the first part that applies."""
        split = self.splits[rule.group]
        parts = self.product.payment_groups[rule.group]
        with self.src.block(f"if {split} is None:"):
            base, _ = self.x.expr(parts[0].exprs["base"].node)
            shares = []
            for part in parts:
                share = f"sh{self.index[part.id]}"
                self._slot_of(part.exprs["share"].node, share)
                shares.append(share)
            self.src.line(f"{split} = split_payment({self.x.const(rule.group)}, {self.x.const(tuple(parts))}, "
                          f"{base}, ({', '.join(shares)},))")
        self.src.line(f"r{i} = {split}[{parts.index(rule)}]")
        self.src.line(f"ps{i} = sh{i}")
        self._slot(rule, "on", f"on{i}")

    def _schedule(self, rule: Rule, i: int) -> None:
        """A payment in instalments: x{i} holds them (or an Open), r{i} their total."""
        every = rule.exprs["schedule"].node
        dates, _ = self.x.named(every)
        step, _ = self.x.named(every.step)
        start, _ = self.x.named(every.start)
        until, _ = self.x.named(every.until)
        amount, _ = self.x.named(rule.exprs["amount"].node)
        self.src.line(f"x{i} = schedule_payment({self.x.const(rule)}, {dates}, {start}, {step}, {until}, {amount}, "
                      "calendar)")
        self.src.line(f"r{i} = x{i} if x{i}.__class__ is Open else x{i}.total()")

    # -- the result --------------------------------------------------------------------------

    def _assemble(self) -> None:
        src, const = self.src, self.x.const
        product = self.product
        # The static types of every parameter and value, in one dict copied per result: to_json reads the
        # types of the values present, and a type for a rule that did not apply is never read.
        types = const({rule.id: value_type(rule) for rule in product.rules.values()
                       if rule.section in ("parameters", "values")})
        src.line(f"result = Result({const(product.code)}, {const(product.title)}, {const(product.edition)}, as_of, "
                 f"rules_on, value_types={types}.copy(), indicative={const(product.indicative_values)})")
        for name in ("deadlines", "payments", "reports", "checks", "not_applicable", "values"):
            src.line(f"{name} = result.{name}")
        for rule in product.rules.values():
            i = self.index[rule.id]
            with src.located(rule.pos):
                if "when" not in rule.exprs:
                    self._entry(rule, i)
                    continue
                with src.block(f"if w{i} is False:"):
                    src.line(f"not_applicable.append({const(rule.id)})")
                with src.block("else:"):
                    self._entry(rule, i)
        src.line("return result")

    def _entry(self, rule: Rule, i: int) -> None:
        src, const = self.src, self.x.const
        rule_const = const(rule)
        if rule.section == "deadlines":
            src.line(f"deadlines.append(deadline_result({rule_const}, r{i}, m{i}, as_of))")
        elif rule.section == "payments" and "schedule" in rule.exprs:
            src.line(f"payments.append(schedule_result({rule_const}, x{i}, as_of))")
        elif rule.section == "payments":
            trigger = const(payment_trigger(rule, self.labels))
            src.line(f"payments.append(payment_result({rule_const}, {trigger}, ps{i}, r{i}, on{i}, as_of))")
        elif rule.section == "reports":
            src.line(f"reports.extend(report_results({rule_const}, r{i}))")
        elif rule.section == "checks":
            # A known check has one of two entries, the same for every case: made once, by check_result
            # itself, and shared (they are frozen). An unknown one is kept by the facts it misses.
            passed, failed = const(check_result(rule, True)), const(check_result(rule, False))
            src.line(f"checks.append({passed} if r{i} is True else {failed} if r{i} is False "
                     f"else unknown_check({rule_const}, r{i}, {const({})}))")
        else:
            src.line(f"values[{const(rule.id)}] = r{i}")

    @property
    def place(self) -> Position:
        return self.product.pos or Position(self.product.file, 1, 1)

    def _build(self) -> CompiledProduct:
        function, origins, source, filename, places = _define(self.x, "evaluate", f"product {self.product.code}",
                                                              self.place)
        return CompiledProduct(self.product, function, origins, filename, source, places)


def _define(compiler: _ExpressionCompiler, name: str, title: str, place: Position | None):
    """Compile the generated lines into a function; line numbers shift by the header, which is made for `place`."""
    head = [f"def {name}(facts, as_of, rules_on):"] + compiler.prologue()
    source = "\n".join(head + compiler.src.lines) + "\n"
    # Named by its content: the same source is one linecache entry however often it is compiled.
    filename = f"<compiled {title} {hashlib.sha256(source.encode()).hexdigest()[:12]}>"
    namespace = compiler.namespace
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - source made by this module only
    origins = {line + len(head): origin for line, origin in compiler.src.origins.items()}
    places = {line + len(head): at for line, at in compiler.src.places.items()}
    if place is not None:
        places.update(dict.fromkeys(range(1, len(head) + 1), place))
    _register(filename, source, places)
    return namespace[name], origins, source, filename, places


def _register(filename: str, source: str, places: dict[int, Position]) -> None:
    """Put the generated source where tracebacks look for it, each line marked with its card position.

    The marks are comments in the lines shown, never in the code run: a card's file name is no code."""
    shown = []
    for number, line in enumerate(source.splitlines(), start=1):
        place = places.get(number)
        mark = f"  # {place}".replace("\n", " ").replace("\r", " ") if place is not None else ""
        shown.append(line + mark + "\n")
    linecache.cache[filename] = (len(source), None, shown, filename)


def _roller(calendar) -> Callable[[Any], Any]:
    """A deadline's or report's roll to the next working day, for a date or a list of dates."""
    def roll(value):
        if value.__class__ is Open:
            return value
        if value.__class__ is tuple:
            return tuple(calendar.next_working_day(day) for day in value)
        return calendar.next_working_day(value)
    return roll


def compile_product(product: Product, fact_labels: dict[str, str] | None = None) -> CompiledProduct:
    """Compile every rule of a checked product into one function: (facts, as_of, rules_on) -> Result."""
    return _ProductCompiler(product, fact_labels or {}).compile()


def compile_expression(node: n.Node, calendar) -> CompiledExpression:
    """Compile a typed expression that refers only to facts, literals and as_of."""
    compiler = _ExpressionCompiler(calendar)
    code, _ = compiler.expr(node)
    compiler.src.line(f"return {code}")
    function, origins, source, filename, places = _define(compiler, "expression", "expression", node.pos)
    return CompiledExpression(function, origins, filename, source, places)
