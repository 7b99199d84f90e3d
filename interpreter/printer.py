"""Turn expression trees back into rule-language text, for `show`, traces and messages."""
from __future__ import annotations

from decimal import Decimal

from . import nodes as n
from .visitor import NodeVisitor

# Binding strength, loosest first, to put back only the parentheses that are needed.
_PRECEDENCE = {n.If: 0, n.Every: 0, n.Coalesce: 1, n.Or: 2, n.And: 3, n.Not: 4, n.Compare: 5, n.Member: 5,
               n.SetRelation: 5, n.Indicative: 8}
_ARITH = {"+": 6, "-": 6, "*": 7, "/": 7}
_NON_ASSOCIATIVE = 5  # comparisons and 'in': the grammar allows only one per level
_SUM = 6  # the level of `every STEP from START`: STEP and START are sums


def number_text(value: Decimal) -> str:
    text = format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return text


def _precedence(node: n.Node) -> int:
    if isinstance(node, n.Arithmetic):
        return _ARITH[node.op]
    if isinstance(node, n.Negate):
        return 8
    return _PRECEDENCE.get(type(node), 9)


def to_text(node: n.Node) -> str:
    """The expression as a policy editor would write it."""
    return _PRINTER.visit(node)


class _Printer(NodeVisitor):
    """Prints one node per `visit_<Node>`; holds no state, so one instance serves every thread."""

    def sub(self, node: n.Node, child: n.Node, right_side: bool = False, at_least: int | None = None) -> str:
        """A child of `node` as text, in brackets when it binds looser than `node` needs."""
        own = _precedence(node)
        text = self.visit(child)
        inner = _precedence(child)
        if inner < (own if at_least is None else at_least):
            return f"({text})"
        # Binary operators group from the left: `a - (b - c)` and `a ?? (b ?? c)` keep their brackets.
        # Comparisons do not group at all: `(a == b) == c` keeps them on either side.
        if inner == own and (right_side or own == _NON_ASSOCIATIVE) and isinstance(
                node, (n.Arithmetic, n.Compare, n.Member, n.And, n.Or, n.Coalesce, n.SetRelation)):
            return f"({text})"
        return text

    def generic_visit(self, node: n.Node) -> str:
        raise TypeError(f"cannot print {type(node).__name__}")

    def visit_NumberLit(self, node):
        return number_text(node.value)

    def visit_MoneyLit(self, node):
        return f"€{number_text(node.value)}"

    def visit_PercentLit(self, node):
        return f"{number_text(node.value)}%"

    def visit_DateLit(self, node):
        return node.value.isoformat()

    def visit_DurationLit(self, node):
        word = node.unit.replace("_", " ")
        return f"{node.amount} {word[:-1] if node.amount == 1 else word}"

    def visit_TextLit(self, node):
        return f'"{node.value}"'

    def visit_BoolLit(self, node):
        return "true" if node.value else "false"

    def visit_SetLit(self, node):
        return "{" + ", ".join(node.members) + "}"

    def visit_Name(self, node):
        return f"{node.qualifier}.{node.name}" if node.qualifier else node.name

    def visit_FactRef(self, node):
        return node.name

    visit_RuleRef = visit_BuiltIn = visit_FactRef

    def visit_AsOfRef(self, node):
        return "as_of"

    def visit_EnumLit(self, node):
        return node.member

    def visit_Negate(self, node):
        return f"-{self.sub(node, node.operand)}"

    def visit_Arithmetic(self, node):
        return f"{self.sub(node, node.left)} {node.op} {self.sub(node, node.right, True)}"

    visit_Compare = visit_Arithmetic

    def visit_Member(self, node):
        word = "not in" if node.negated else "in"
        return f"{self.sub(node, node.element)} {word} {self.sub(node, node.container, True)}"

    def visit_And(self, node):
        return f"{self.sub(node, node.left)} and {self.sub(node, node.right, True)}"

    def visit_Or(self, node):
        return f"{self.sub(node, node.left)} or {self.sub(node, node.right, True)}"

    def visit_Not(self, node):
        return f"not {self.sub(node, node.operand)}"

    def visit_If(self, node):
        condition = self.visit(node.condition)
        if _precedence(node.condition) == 0:  # readable: if (if a then b else c) then ...
            condition = f"({condition})"
        return f"if {condition} then {self.visit(node.then)} else {self.visit(node.otherwise)}"

    def visit_Coalesce(self, node):
        return f"{self.sub(node, node.left)} ?? {self.sub(node, node.right, True)}"

    def visit_Call(self, node):
        return f"{node.function}({', '.join(self.visit(a) for a in node.args)})"

    def visit_Every(self, node):
        return (f"every {self.sub(node, node.step, at_least=_SUM)} from {self.sub(node, node.start, at_least=_SUM)} "
                f"until {self.visit(node.until)}")

    def visit_SetRelation(self, node):
        return f"{self.sub(node, node.left)} {node.op} of {self.sub(node, node.right, True)}"

    def visit_Indicative(self, node):
        return f"{node.word} {self.sub(node, node.operand)}"

    def visit_Decide(self, node):
        return f"{node.table}.{node.output}"

    def visit_Lookup(self, node):
        return f"{node.lookup}[{self.visit(node.key)}].{node.field}"


_PRINTER = _Printer()


def table_lines(table) -> list[str]:
    """A decision table as aligned text rows: a header of its columns, then its rows as written."""
    grid = [list(table.columns)] + [list(row.cells) for row in table.rows]
    widths = [max(len(row[i]) for row in grid) for i in range(len(table.columns))]
    inputs = len(table.inputs)

    def line(cells: list[str]) -> str:
        left = "  ".join(cell.ljust(width) for cell, width in zip(cells[:inputs], widths))
        right = "  ".join(cell.ljust(width) for cell, width in zip(cells[inputs:], widths[inputs:]))
        return f"{left} | {right}".rstrip()

    return [line(grid[0])] + [line(row) for row in grid[1:]]


def lookup_lines(lookup) -> list[str]:
    """A lookup as aligned text rows: the key and each field, one row per member."""
    grid = [[lookup.key] + [name for name, _ in lookup.fields]]
    grid += [[member] + [_value_text(value) for value in values] for member, values in lookup.entries]
    widths = [max(len(row[i]) for row in grid) for i in range(len(grid[0]))]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in grid]


def _value_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return number_text(value)
    return str(value)
