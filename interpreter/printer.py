"""Turn expression trees back into rule-language text, for `show`, traces and messages."""
from __future__ import annotations

from decimal import Decimal

from . import nodes as n

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
    own = _precedence(node)

    def sub(child: n.Node, right_side: bool = False, at_least: int | None = None) -> str:
        text = to_text(child)
        inner = _precedence(child)
        if inner < (own if at_least is None else at_least):
            return f"({text})"
        # Binary operators group from the left: `a - (b - c)` and `a ?? (b ?? c)` keep their brackets.
        # Comparisons do not group at all: `(a == b) == c` keeps them on either side.
        if inner == own and (right_side or own == _NON_ASSOCIATIVE) and isinstance(
                node, (n.Arithmetic, n.Compare, n.Member, n.And, n.Or, n.Coalesce, n.SetRelation)):
            return f"({text})"
        return text

    if isinstance(node, n.NumberLit):
        return number_text(node.value)
    if isinstance(node, n.MoneyLit):
        return f"€{number_text(node.value)}"
    if isinstance(node, n.PercentLit):
        return f"{number_text(node.value)}%"
    if isinstance(node, n.DateLit):
        return node.value.isoformat()
    if isinstance(node, n.DurationLit):
        word = node.unit.replace("_", " ")
        return f"{node.amount} {word[:-1] if node.amount == 1 else word}"
    if isinstance(node, n.TextLit):
        return f'"{node.value}"'
    if isinstance(node, n.BoolLit):
        return "true" if node.value else "false"
    if isinstance(node, n.SetLit):
        return "{" + ", ".join(node.members) + "}"
    if isinstance(node, n.Name):
        return f"{node.qualifier}.{node.name}" if node.qualifier else node.name
    if isinstance(node, (n.FactRef, n.RuleRef)):
        return node.name
    if isinstance(node, n.AsOfRef):
        return "as_of"
    if isinstance(node, n.EnumLit):
        return node.member
    if isinstance(node, n.Negate):
        return f"-{sub(node.operand)}"
    if isinstance(node, (n.Arithmetic, n.Compare)):
        return f"{sub(node.left)} {node.op} {sub(node.right, True)}"
    if isinstance(node, n.Member):
        return f"{sub(node.element)} {'not in' if node.negated else 'in'} {sub(node.container, True)}"
    if isinstance(node, n.And):
        return f"{sub(node.left)} and {sub(node.right, True)}"
    if isinstance(node, n.Or):
        return f"{sub(node.left)} or {sub(node.right, True)}"
    if isinstance(node, n.Not):
        return f"not {sub(node.operand)}"
    if isinstance(node, n.If):
        condition = to_text(node.condition)
        if _precedence(node.condition) == 0:  # readable: if (if a then b else c) then ...
            condition = f"({condition})"
        return f"if {condition} then {to_text(node.then)} else {to_text(node.otherwise)}"
    if isinstance(node, n.Coalesce):
        return f"{sub(node.left)} ?? {sub(node.right, True)}"
    if isinstance(node, n.Call):
        return f"{node.function}({', '.join(to_text(a) for a in node.args)})"
    if isinstance(node, n.Every):
        return (f"every {sub(node.step, at_least=_SUM)} from {sub(node.start, at_least=_SUM)} "
                f"until {to_text(node.until)}")
    if isinstance(node, n.SetRelation):
        return f"{sub(node.left)} {node.op} of {sub(node.right, True)}"
    if isinstance(node, n.Indicative):
        return f"{node.word} {sub(node.operand)}"
    if isinstance(node, n.BuiltIn):
        return node.name
    if isinstance(node, n.Decide):
        return f"{node.table}.{node.output}"
    if isinstance(node, n.Lookup):
        return f"{node.lookup}[{to_text(node.key)}].{node.field}"
    raise TypeError(f"cannot print {type(node).__name__}")


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
