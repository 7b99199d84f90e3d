"""Tree simplification before anything is said, like Jinja2's optimizer: a pass of its own over checked trees.

Fixed parameters are said by their value, short deadlines inline, fixed durations added up, and an
`if` inside a calculation is lifted to the front of the sentence ('a als c; anders b').
"""
from __future__ import annotations

import dataclasses

from .. import nodes as n
from .. import types as t
from ..printer import to_text
from ..visitor import NodeTransformer
from .context import Lookups

# The most alternatives one sentence may list ("a als b; c als d; ...; anders z").
MAX_ALTERNATIVES = 6

_LITERALS = (n.NumberLit, n.MoneyLit, n.PercentLit, n.DateLit, n.DurationLit, n.TextLit)


class Lifter(NodeTransformer):
    """Moves an `if` inside a calculation to the top: `x + (if c then a else b)` is said as
    `(x + a) als c; anders (x + b)`. Only through nodes that treat an unknown the same way; every
    other node keeps its place, its children lifted (`generic_visit`)."""

    def visit_Arithmetic(self, node: n.Node) -> n.Node:
        return self.hoisted(node, ("left", "right"))

    visit_Compare = visit_Arithmetic

    def visit_Member(self, node: n.Member) -> n.Node:
        return self.hoisted(node, ("element", "container"))

    def visit_Negate(self, node: n.Negate) -> n.Node:
        return self.hoisted(node, ("operand",))

    def visit_Every(self, node: n.Every) -> n.Node:
        # The step stays: 'vanaf S tot E: elke a als c; anders elke b' reads better.
        node = dataclasses.replace(node, step=self.visit(node.step))
        return self.hoisted(node, ("start", "until"))

    def visit_Call(self, node: n.Call) -> n.Node:
        args = tuple(self.visit(a) for a in node.args)
        for index, arg in enumerate(args):
            if isinstance(arg, n.If):
                def with_arg(value, i=index):
                    return dataclasses.replace(node, args=args[:i] + (value,) + args[i + 1:])
                return self.visit(n.If(arg.condition, with_arg(arg.then), with_arg(arg.otherwise),
                                       pos=arg.pos, type=node.type))
        return dataclasses.replace(node, args=args)

    def hoisted(self, node: n.Node, fields: tuple[str, ...]) -> n.Node:
        """The node with its fields lifted; the first `if` among them becomes the node's own."""
        values = {name: self.visit(getattr(node, name)) for name in fields}
        for name, child in values.items():
            if isinstance(child, n.If):
                then = dataclasses.replace(node, **{**values, name: child.then})
                otherwise = dataclasses.replace(node, **{**values, name: child.otherwise})
                return self.visit(n.If(child.condition, then, otherwise, pos=child.pos, type=node.type))
        return dataclasses.replace(node, **values)


class Simplifier(Lookups):
    """What an expression stands for, in fewer words: constants, inlined deadlines, fixed durations."""


    def constant(self, node: n.Node) -> n.Node | None:
        """The literal a reference stands for, when it is a parameter with one fixed value."""
        if not isinstance(node, n.RuleRef) or self.product is None:
            return None
        rule = self.product.rules.get(node.name)
        if rule is None or rule.section != "parameters" or "when" in rule.exprs or len(rule.editions) != 1:
            return None
        edition = rule.editions[0]
        if edition.valid_from or edition.valid_until:
            return None
        value = edition.expr.node
        if isinstance(value, _LITERALS) or (isinstance(value, n.Indicative) and isinstance(value.operand, _LITERALS)):
            return value  # 'circa 6 months' is said where it is used, as 'circa 6 maanden'
        return None

    def constant_bool(self, node: n.Node) -> bool | None:
        """True or False when a condition does not depend on the case (a fixed yes/no parameter)."""
        if isinstance(node, n.BoolLit):
            return node.value
        if isinstance(node, n.Not):
            inner = self.constant_bool(node.operand)
            return None if inner is None else not inner
        if isinstance(node, n.RuleRef) and self.product is not None:
            rule = self.product.rules.get(node.name)
            if (rule is not None and rule.section == "parameters" and "when" not in rule.exprs and rule.editions
                    and all(isinstance(e.expr.node, n.BoolLit) for e in rule.editions)):
                values = {e.expr.node.value for e in rule.editions}
                if len(values) == 1 and not any(e.valid_from or e.valid_until for e in rule.editions):
                    return values.pop()
        return None

    def inlined_deadline(self, node: n.Node) -> n.Node | None:
        """The expression a reference to a deadline (its due date) or to a date value stands for, when
        it says the same in a few words ('104 weken na de eerste ziektedag')."""
        if not isinstance(node, n.RuleRef) or self.product is None:
            return None
        rule = self.product.rules.get(node.name)
        if rule is None or "when" in rule.exprs:
            return None
        if rule.section == "deadlines" and not rule.roll:
            due = rule.exprs.get("due")
            if due is None or isinstance(due.node, (n.If, n.Coalesce, n.Every)):
                return None
            return due.node
        if rule.section == "values":
            value = rule.exprs.get("value")
            if value is not None and value.node.type == t.DATE and self.is_offset(value.node):
                return value.node
        return None

    def resolved(self, node: n.Node) -> n.Node:
        return self.constant(node) or self.inlined_deadline(node) or node

    def duration_of(self, node: n.Node) -> n.DurationLit | None:
        """The fixed duration an expression stands for: `2 weeks * 3` is 6 weken."""
        node = self.resolved(node)
        if isinstance(node, n.DurationLit):
            return node
        if isinstance(node, n.Arithmetic) and node.op == "*" and node.type == t.DURATION:
            duration, times = (node.left, node.right) if node.left.type == t.DURATION else (node.right, node.left)
            duration, times = self.duration_of(duration), self.resolved(times)
            if duration is not None and isinstance(times, n.NumberLit) and times.value == times.value.to_integral_value():
                return dataclasses.replace(duration, amount=duration.amount * int(times.value))
        return None

    def shifted(self, date: n.Node, literal: n.DurationLit, op: str) -> n.Node:
        """`date op literal` as one node; `x + 2 weeks` shifted by + 1 week is `x + 3 weeks`."""
        inner = self.resolved(date)
        if isinstance(inner, n.Arithmetic) and inner.type == t.DATE and inner.left.type == t.DATE:
            first = self.duration_of(inner.right)
            days = {"days": 1, "weeks": 7}
            if first is not None and first.unit in days and literal.unit in days:
                total = (first.amount * days[first.unit] * (1 if inner.op == "+" else -1)
                         + literal.amount * days[literal.unit] * (1 if op == "+" else -1))
                unit = "weeks" if first.unit == literal.unit == "weeks" else "days"
                amount = abs(total) // days[unit]
                return dataclasses.replace(inner, op="+" if total >= 0 else "-",
                                           right=dataclasses.replace(literal, amount=amount, unit=unit))
            if first is not None and first.unit == literal.unit:
                total = first.amount * (1 if inner.op == "+" else -1) + literal.amount * (1 if op == "+" else -1)
                return dataclasses.replace(inner, op="+" if total >= 0 else "-",
                                           right=dataclasses.replace(literal, amount=abs(total)))
        return n.Arithmetic(op=op, left=date, right=literal, pos=literal.pos, type=t.DATE)

    def is_offset(self, node: n.Node) -> bool:
        """A date said as 'N eenheden na/vóór X' (it takes no 'op' in front)."""
        node = self.resolved(node)
        if isinstance(node, n.Arithmetic) and node.type == t.DATE:
            duration = node.left if node.left.type == t.DURATION else node.right
            return self.duration_of(duration) is not None
        return False

    # -- conditions to the front of a sentence ------------------------------------------------

    def lift(self, node: n.Node) -> n.Node:
        return Lifter().visit(node)

    def decisions(self, node: n.Node) -> list[tuple[n.Node | None, n.Node]]:
        """An if-chain as a list of (condition, value), the first that holds wins; (None, v) last."""
        if not isinstance(node, n.If):
            return [(None, node)]
        result = []
        for condition, value in self.decisions(node.then):
            both = node.condition if condition is None else n.And(node.condition, condition, pos=node.pos,
                                                                   type=t.BOOL)
            result.append((both, value))
        result.extend(self.decisions(node.otherwise))
        return result

    def is_cap(self, node: n.Node) -> bool:
        """min/max of two values, said as 'a, met een maximum van b' or 'a of, als dat eerder is, b', or a
        rounding ('a, afgerond op hele centen'): words that need brackets when more follows."""
        return isinstance(node, n.Call) and ((node.function in ("min", "max") and len(node.args) == 2)
                                             or node.function == "round")

    def without_fallback(self, args: tuple[n.Node, ...]) -> tuple[n.Node, ...]:
        """min(x ?? y, y) is min(x, y) with y when x is unknown: the fallback need not be said."""
        a, b = args
        if isinstance(a, n.Coalesce) and to_text(a.right) == to_text(b):
            return a.left, b
        if isinstance(b, n.Coalesce) and to_text(b.right) == to_text(a):
            return a, b.left
        return args

    def is_fixed(self, node: n.Node) -> bool:
        """A literal, or a parameter with one fixed value."""
        return isinstance(self.resolved(node), (n.NumberLit, n.MoneyLit, n.PercentLit, n.DateLit, n.DurationLit))
