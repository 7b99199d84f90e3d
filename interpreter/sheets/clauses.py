"""Clauses: a yes/no expression as a Dutch statement in both word orders, one `visit_<Node>` each."""
from __future__ import annotations

import dataclasses

from .. import nodes as n
from .. import types as t
from ..visitor import NodeVisitor
from .grammar import Clause, is_date_noun, predicate_split
from .simplify import MAX_ALTERNATIVES
from .words import join_words, label_in_sentence

_ORDERED_WORDS = {  # comparison -> (main words, subordinate words) for amounts and numbers
    "<=": ("ten hoogste", None), ">=": ("ten minste", None), "<": ("lager", "dan"), ">": ("hoger", "dan"),
    "==": ("gelijk", "aan"), "!=": ("niet gelijk", "aan"),
}
_NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


class Clauses(NodeVisitor):
    """Says a yes/no node as a `Clause`. `say` is the renderer: its lookups, simplifications and phrases."""

    def __init__(self, say):
        self.say = say

    def statement(self, subject: str, verb: str, complement: str = "", tail: str = "",
                  plural: bool | None = None) -> Clause:
        return self.say.grammar.clause(subject, verb, complement, tail, plural)

    def visit_FactRef(self, node: n.Node) -> Clause:
        return self._flag(node, negated=False)

    visit_RuleRef = visit_Name = visit_FactRef

    def visit_BoolLit(self, node: n.BoolLit) -> Clause:
        return self.statement("dit", "geldt", "altijd" if node.value else "nooit")

    def visit_Compare(self, node: n.Compare) -> Clause:
        return self._compare(node)

    def visit_Member(self, node: n.Member) -> Clause:
        return self._member(node)

    def visit_Not(self, node: n.Not) -> Clause:
        return self._not(node.operand)

    def visit_And(self, node: n.Node) -> Clause:
        return self._junction(node)

    visit_Or = visit_And

    def visit_Coalesce(self, node: n.Coalesce) -> Clause:
        left = self.visit(node.left)
        if isinstance(node.right, n.BoolLit) and not node.right.value:
            return left  # unknown counts as 'no': the statement holds only when it is known to hold
        if isinstance(node.right, n.BoolLit):
            return Clause(f"{left.main} (of dat is nog onbekend)", f"{left.sub} (of dat nog onbekend is)")
        right = self.visit(node.right)
        return Clause(f"{left.main} (zolang dat onbekend is: {right.main})",
                      f"{left.sub} (zolang dat onbekend is: {right.main})")

    def visit_If(self, node: n.If) -> Clause:
        items = self.say.decisions(node)
        if len(items) > MAX_ALTERNATIVES:
            raise self.say.fail(f"this condition has {len(items)} alternatives; a sentence can list at most "
                                f"{MAX_ALTERNATIVES}", node)
        said = [f"als {self.visit(c).sub}: {self.visit(v).main}" for c, v in items[:-1]]
        main = "; ".join(said) + f"; anders: {self.visit(items[-1][1]).main}"
        return Clause(main, main, simple=False)

    def visit_Decide(self, node: n.Decide) -> Clause:
        table = self.say.table_words(node)
        return Clause(f"de tabel {table} zegt ‘ja’", f"de tabel {table} ‘ja’ zegt")

    def generic_visit(self, node: n.Node, *args, **kwargs) -> Clause:
        if node.type == t.BOOL and isinstance(node, (n.Call, n.AsOfRef, n.Lookup)):
            return self.statement(self.say.noun(node), "geldt")
        raise self.say.fail(f"cannot say {type(node).__name__} as a statement", node)

    def condition(self, node: n.Node) -> str:
        """A condition after 'als', in subordinate word order. An if-then-else cannot stand there."""
        if any(isinstance(sub, n.If) for sub in n.walk(node)):
            raise self.say.fail("a condition that itself contains 'if ... then ... else' cannot be said in one "
                                "Dutch sentence", node, hint="write the condition with 'and', 'or' and 'not'")
        return self.visit(node).sub

    def _flag(self, node: n.Node, negated: bool) -> Clause:
        """A yes/no fact or rule as a statement.

        A fact's phrase is a clause ('de kwartaalrapportage vervalt'); a rule label like 'Offerte nodig'
        reads 'offerte nodig is'; anything else is 'X geldt' / 'X geldt niet'.
        """
        if isinstance(node, n.Name) and self.say.product is not None and node.name in self.say.product.rules and not (
                node.qualifier is None and node.name in self.say.vocabulary.facts):
            node = n.RuleRef(node.name, pos=node.pos, type=node.type)
        if isinstance(node, n.RuleRef):
            rule = self.say.rule(node.name, node)
            label = " ".join(self.say.rule_label(rule, node).split())
            if rule.section == "checks":
                return self.statement(f"aan ‘{label}’", "is", "niet voldaan" if negated else "voldaan")
            words = label_in_sentence(label)
            split = predicate_split(words)
            if split is not None:
                subject, predicate = split
                return self.statement(subject, "is", f"niet {predicate}" if negated else predicate)
            return self.statement(f"‘{words}’", "geldt", "niet" if negated else "")
        name = getattr(node, "name", None)
        if isinstance(node, (n.FactRef, n.Name)) and name in self.say.vocabulary.facts and self.say.has_phrase(name):
            statement = self.say.fact_phrase(name, node)
            if negated:
                return Clause(f"het is niet zo dat {statement}", f"het niet zo is dat {statement}")
            return Clause.given(statement)
        return self.statement(self.say.noun(node), "geldt", "niet" if negated else "")

    def _not(self, operand: n.Node) -> Clause:
        if isinstance(operand, (n.FactRef, n.RuleRef, n.Name)):
            return self._flag(operand, negated=True)
        if isinstance(operand, n.Not):
            return self.visit(operand.operand)
        if isinstance(operand, n.Compare) and operand.left.type != t.BOOL:
            return self._compare(dataclasses.replace(operand, op=_NEGATED.get(operand.op, operand.op)))
        if isinstance(operand, n.Member):
            return self._member(dataclasses.replace(operand, negated=not operand.negated))
        if isinstance(operand, n.BoolLit):
            return self.visit(dataclasses.replace(operand, value=not operand.value))
        inner = self.visit(operand)
        return self.statement("het", "is", "niet zo", f"dat {inner.sub}")

    def _junction(self, node: n.Node) -> Clause:
        kind = type(node)
        word = "en" if kind is n.And else "of"
        items: list[n.Node] = []

        def flatten(item):
            if type(item) is kind:
                flatten(item.left)
                flatten(item.right)
            else:
                items.append(item)

        flatten(node)
        clauses = []
        index = 0
        while index < len(items):
            item = items[index]
            # 'a in S and b in S' -> 'a en b behoren tot S'
            if (kind is n.And and isinstance(item, n.Member) and not item.negated
                    and not isinstance(item.container, n.SetLit)):
                group = [item]
                while (index + len(group) < len(items) and isinstance(items[index + len(group)], n.Member)
                       and not items[index + len(group)].negated
                       and items[index + len(group)].container == item.container):
                    group.append(items[index + len(group)])
                if len(group) > 1:
                    elements = join_words([self.say.noun(g.element) for g in group])
                    container = self.say.noun(item.container)
                    clauses.append(self.statement(elements, "behoort", f"tot {container}", plural=True))
                    index += len(group)
                    continue
            clause = self.visit(item)
            if not clause.simple:
                clause = Clause(f"({clause.main})", f"({clause.sub})")
            clauses.append(clause)
            index += 1
        if len(clauses) == 1:
            return clauses[0]
        return Clause(join_words([c.main for c in clauses], word), join_words([c.sub for c in clauses], word),
                      simple=False)

    def _member(self, node: n.Member) -> Clause:
        element = self.say.noun(node.element)
        container = node.container
        if isinstance(container, n.SetLit):
            enum = self.say.set_enum(container)
            members = [self.say.member_phrase(enum.name, m, container, "een") for m in container.members]
            if not members:
                return self.statement("dit", "geldt", "altijd" if node.negated else "nooit")
            if node.negated:  # 'geen WGA-uitkering', 'niet District Rijnmond'
                denied = [f"geen {m[4:]}" if m.startswith("een ") else f"niet {m}" for m in members]
                return self.statement(element, "is", join_words(denied, "en"))
            return self.statement(element, "is", join_words(members, "of"))
        return self.statement(element, "behoort", f"{'niet ' if node.negated else ''}tot {self.say.noun(container)}")

    def _compare(self, node: n.Compare) -> Clause:
        left, right, op = node.left, node.right, node.op
        kind = left.type
        subject = self.say.bracketed(left)
        if kind == t.BOOL:
            if isinstance(right, n.BoolLit) and op in ("==", "!="):
                holds = right.value == (op == "==")
                return self.visit(left) if holds else self._not(left)
            other = self.visit(right).main
            return self.statement(subject, "is", "gelijk" if op == "==" else "niet gelijk",
                             f"aan de uitkomst van: {other}")
        if isinstance(kind, t.SetType):
            if op not in ("==", "!="):
                raise self.say.fail(f"cannot say '{op}' between sets", node)
            return self.statement(subject, "is", ("precies " if op == "==" else "niet precies ") + self.say.noun(right),
                             plural=True)  # a set is a plural: 'de fasen van het traject zijn ...'
        if isinstance(kind, t.EnumType) or kind == t.TEXT:
            if op not in ("==", "!="):
                raise self.say.fail(f"cannot say '{op}' between {t.describe(kind)}s", node)
            if isinstance(right, n.EnumLit) or (isinstance(right, n.Name) and isinstance(kind, t.EnumType)):
                other = self.say.member_phrase(kind.name, getattr(right, "member", getattr(right, "name", "")),
                                           right, "een")
                if op == "!=" and other.startswith("een "):
                    return self.statement(subject, "is", "geen " + other[4:])
            else:
                other = self.say.noun(right)
            return self.statement(subject, "is", ("" if op == "==" else "niet ") + other)
        if kind == t.DATE:
            offset = self.say.is_offset(right)
            other = self.say.bracketed(right)
            day = other if offset or is_date_noun(other) else f"de dag van {other}"
            words = {
                "<=": f"uiterlijk {other}" if offset else f"uiterlijk op {day}",
                "<": f"eerder dan {other}" if offset else f"vóór {other}",
                ">": f"later dan {other}" if offset else f"na {other}",
                ">=": f"niet eerder dan {other}" if offset else f"op of na {other}",
                "==": f"precies {other}" if offset else f"op {day}",
                "!=": f"niet precies {other}" if offset else f"niet op {day}",
            }
            if op not in words:
                raise self.say.fail(f"cannot say the comparison '{op}'", node)
            return self.statement(subject, "valt", words[op])
        if op not in _ORDERED_WORDS:
            raise self.say.fail(f"cannot say the comparison '{op}'", node)
        words, preposition = _ORDERED_WORDS[op]
        other = self.say.number(right, self.say.unit_of(left))
        if self.say.is_cap(self.say.resolved(right)) and preposition is not None:
            other = f"({other})"
        if preposition is None:
            return self.statement(subject, "is", f"{words} {other}")
        return self.statement(subject, "is", words, f"{preposition} {other}")

    # -- subset and superset ---------------------------------------------------------------------

    def visit_SetRelation(self, node: n.SetRelation) -> Clause:
        """'de fasen van het traject vallen alle onder: ...' / '... omvatten ten minste: ...'."""
        verb, words = ("valt", "alle onder") if node.op == "subset" else ("omvat", "ten minste")
        return self.statement(self.say.bracketed(node.left), verb, f"{words} {self.say.noun(node.right)}",
                              plural=True)
