"""Noun phrases: an expression as Dutch words ('56 kalenderdagen na de aanmelding'), one `visit_<Node>` each."""
from __future__ import annotations

import dataclasses

from .. import nodes as n
from .. import types as t
from ..visitor import NodeVisitor
from .grammar import ARTICLES, with_unit
from .words import (SPACE, date_text, duration_text, join_pieces, join_words, label_in_sentence, money_text,
                    number_text, percent_text, bool_text, quoted_text)


class Phrases(NodeVisitor):
    """Says a node as a noun phrase. `say` is the renderer: its lookups, simplifications and clauses."""

    def __init__(self, say):
        self.say = say

    def generic_visit(self, node: n.Node, *args, **kwargs) -> str:
        raise self.say.fail(f"the sheet cannot say a {type(node).__name__} in Dutch", node)

    def visit_Decide(self, node):
        return f"de waarde die de tabel {self.say.table_words(node)} geeft"

    def visit_Lookup(self, node):
        lookup = self.say.product.lookups.get(node.lookup) if self.say.product is not None else None
        if lookup is None:
            raise self.say.fail(f"the sheet cannot say the lookup '{node.lookup}' without its card", node)
        return (f"de {lookup.field_label(node.field)} van {self.say.noun(node.key)} volgens de tabel "
                f"‘{' '.join(lookup.label.split())}’")

    def visit_NumberLit(self, node):
        return number_text(node.value)

    def visit_MoneyLit(self, node):
        return money_text(node.value)

    def visit_PercentLit(self, node):
        return percent_text(node.value)

    def visit_DateLit(self, node):
        return date_text(node.value)

    def visit_DurationLit(self, node):
        try:
            return duration_text(node.amount, node.unit)
        except ValueError as error:
            raise self.say.fail(str(error), node) from None

    def visit_TextLit(self, node):
        return quoted_text(node.value)

    def visit_BoolLit(self, node):
        return bool_text(node.value)

    def visit_SetLit(self, node, article: str | None = "de"):
        enum = self.say.set_enum(node)
        if not node.members:
            return "geen"
        return join_words([self.say.member_phrase(enum.name, m, node, article) for m in node.members])

    def visit_Name(self, node):
        if node.qualifier is None and node.name in self.say.vocabulary.facts:
            return self.say.fact_phrase(node.name, node)
        if self.say.product is not None and node.name in self.say.product.rules:
            return self.visit_RuleRef(n.RuleRef(node.name, pos=node.pos, type=node.type))
        kinds = [e for e in self.say.vocabulary.enums.values() if node.name in e.members]
        if node.qualifier is None and len(kinds) == 1:
            return self.say.member_phrase(kinds[0].name, node.name, node, "de")
        raise self.say.fail(f"cannot say '{node.name}': the expression is not type-checked", node,
                            hint="render expressions after the checker has resolved their names")

    def visit_FactRef(self, node):
        return self.say.fact_phrase(node.name, node)

    def visit_RuleRef(self, node):
        constant = self.say.constant(node)
        if constant is not None:
            if isinstance(constant, n.NumberLit):  # '5 uur' when the label names the unit: '(uren)'
                return with_unit(constant.value, self.say.unit_of(node))
            return self.visit(constant)
        due = self.say.inlined_deadline(node)
        if due is not None:
            return self.visit(due)
        rule = self.say.rule(node.name, node)
        self.say.rule_label(rule, node)
        label = " ".join(rule.label.split())
        if rule.section == "deadlines":
            return f"de uiterste datum ‘{label}’"
        if rule.section == "payments":
            return f"het bedrag ‘{label}’"
        if rule.section == "reports":
            return f"de datum van ‘{label}’"
        if rule.section == "checks":
            return f"de uitkomst van ‘{label}’"
        if rule.table is not None and self.say.product is not None and rule.table in self.say.product.tables:
            return f"‘{label}’ uit de tabel ‘{' '.join(self.say.product.tables[rule.table].label.split())}’"
        phrase = label_in_sentence(label)
        if isinstance(node.type, t.SetType) and not phrase.split()[0].lower() in ARTICLES:
            return f"de {phrase}"  # a set is named by a plural: 'de klantgroepen ...'
        return self.say.grammar.with_article(phrase)


    def number(self, node: n.Node, unit: tuple[str, str] | None) -> str:
        """A number in a comparison or a cap, with the unit of what it is compared with: '5 uur'."""
        if unit is not None and isinstance(node, n.NumberLit):
            return with_unit(node.value, unit)
        return self.visit(node)

    def visit_AsOfRef(self, node):
        return "de peildatum"

    def visit_EnumLit(self, node):
        return self.say.member_phrase(node.enum, node.member, node, "de")

    def visit_Negate(self, node):
        operand = self.say.resolved(node.operand)
        if isinstance(operand, (n.NumberLit, n.MoneyLit, n.PercentLit)):
            return "-" + self.visit(operand) if not isinstance(operand, n.MoneyLit) else money_text(-operand.value)
        return f"min {self.grouped(node.operand)}"

    def grouped(self, node: n.Node, parent: n.Arithmetic | None = None, left: bool = True) -> str:
        """A sub-expression inside a calculation: in brackets when it is itself a calculation, unless
        it reads the same without them (`a plus b plus c`, `a keer b keer c`)."""
        text = self.visit(node)
        resolved = self.say.resolved(node)
        if (parent is not None and isinstance(resolved, n.Arithmetic) and resolved.type == parent.type
                and resolved.type in (t.NUMBER, t.MONEY, t.PERCENT) and self.say.duration_of(resolved) is None):
            same_level = {resolved.op, parent.op} <= {"+", "-"} or {resolved.op, parent.op} <= {"*", "/"}
            if same_level and (left or (resolved.op == parent.op and parent.op in "+*")):
                if not (parent.op == "*" and t.PERCENT in (parent.left.type, parent.right.type)):
                    return text
        if isinstance(resolved, (n.Arithmetic, n.If, n.Every)) and not self.say.is_offset(resolved):
            return f"({text})"
        if isinstance(resolved, (n.And, n.Or, n.Compare, n.Member, n.Not)) or self.say.is_cap(resolved):
            return f"({text})"
        return text

    def visit_Arithmetic(self, node):
        left, right, op = node.left, node.right, node.op
        if node.type == t.DURATION and self.say.duration_of(node) is not None:
            return self.visit(self.say.duration_of(node))
        if node.type == t.DATE:
            date, duration = (right, left) if left.type == t.DURATION else (left, right)
            literal = self.say.duration_of(duration)
            about = self.say.resolved(duration)
            about = "circa " if isinstance(about, n.Indicative) and self.say.duration_of(about.operand) else ""
            literal = self.say.duration_of(self.say.resolved(duration).operand) if about else literal
            fallback = self.say.resolved(date)
            if literal is not None and isinstance(fallback, n.Coalesce):
                # (intake_on ?? registered_on + 2 weeks) + 1 week: the week applies to both sides, so the
                # fallback is said in full ('3 weken na de aanmelding'), not as '2 weken na de aanmelding'.
                known = dataclasses.replace(node, left=fallback.left, right=literal)
                shifted = self.say.shifted(fallback.right, literal, op)
                return f"{self.visit(known)} (zolang onbekend: {self.visit(shifted)})"
            day = self.visit(date)
            if self.say.is_offset(date) or self.say.is_cap(self.say.resolved(date)):
                day = f"({day})"
            if literal is not None:
                word = "na" if op == "+" else "vóór"
                return f"{about}{self.visit(literal)} {word} {day}"
            return f"{day} {'vermeerderd' if op == '+' else 'verminderd'} met {self.grouped(duration)}"
        if left.type == t.DATE and right.type == t.DATE:
            return f"het aantal dagen van {self.visit(right)} tot {self.visit(left)}"
        if op == "*":
            if t.PERCENT in (left.type, right.type) and node.type != t.PERCENT or (
                    left.type == t.PERCENT and right.type == t.PERCENT):
                share, whole = (left, right) if left.type == t.PERCENT else (right, left)
                return f"{self.grouped(share)} van {self.grouped(whole)}"
            if node.type == t.DURATION:
                times, duration = (right, left) if left.type == t.DURATION else (left, right)
                return f"{self.grouped(times)} keer {self.grouped(duration)}"
            return f"{self.grouped(left, node)} keer {self.grouped(right, node, False)}"
        if op == "/":
            return f"{self.grouped(left, node)} gedeeld door {self.grouped(right, node, False)}"
        if node.type == t.TEXT:
            return self.joined_text(node)
        return f"{self.grouped(left, node)} {'plus' if op == '+' else 'min'} {self.grouped(right, node, False)}"

    def joined_text(self, node: n.Arithmetic) -> str:
        """Texts joined with +: literal pieces next to each other are shown as one quoted text, and a
        space at the edge of a piece is said in words ('“12XR” gevolgd door een spatie en ...')."""
        pieces: list[n.Node] = []

        def flatten(item):
            if isinstance(item, n.Arithmetic) and item.type == t.TEXT and item.op == "+":
                flatten(item.left)
                flatten(item.right)
            else:
                pieces.append(self.say.constant(item) or item)

        flatten(node)
        said: list[str] = []  # the pieces in order; SPACE for a space between them
        literal: list[str] = []

        def flush():
            if not literal:
                return
            raw = "".join(literal)
            literal.clear()
            core = " ".join(raw.split())
            if raw[:1].isspace() and (not said or said[-1] != SPACE):
                said.append(SPACE)
            if core:
                said.append(f"“{core}”")
                if raw[-1:].isspace():
                    said.append(SPACE)

        for piece in pieces:
            if isinstance(piece, n.TextLit):
                literal.append(piece.value)
                continue
            flush()
            said.append(self.grouped(piece))
        flush()
        return join_pieces(said)

    def visit_Compare(self, node):
        return self.say.clause(node).main

    visit_Member = visit_And = visit_Or = visit_Not = visit_Compare

    def visit_If(self, node):
        return f"({self.say.alternatives(node, self.visit)})"

    def visit_Coalesce(self, node):
        if node.type == t.BOOL:
            return self.say.clause(node).main
        # An alternative as the fallback needs no brackets of its own inside these.
        right = self.say.resolved(node.right)
        fallback = self.say.alternatives(right, self.visit) if isinstance(right, n.If) else self.visit(node.right)
        return f"{self.visit(node.left)} (zolang onbekend: {fallback})"


    def bracketed(self, node: n.Node) -> str:
        """An operand of a comparison or the start of a series: in brackets when it has a comma."""
        text = self.visit(node)
        return f"({text})" if self.say.is_cap(self.say.resolved(node)) else text

    def visit_Call(self, node):
        args = node.args
        if node.function in ("min", "max"):
            if len(args) < 2:
                raise self.say.fail(f"{node.function}(...) needs two or more values", node)
            dates = node.type == t.DATE
            if len(args) == 2:
                args = self.say.without_fallback(args)
            if len(args) == 2 and dates:
                # min(a, b) of dates: 'a of, als dat eerder is, b'
                word = "eerder" if node.function == "min" else "later"
                return f"{self.grouped(args[0])} of, als dat {word} is, {self.grouped(args[1])}"
            if len(args) == 2 and node.type in (t.MONEY, t.NUMBER, t.PERCENT):
                # min(x, 5): 'x, met een maximum van 5'; the fixed value is the cap
                value, cap = args
                if self.say.is_fixed(value) and not self.say.is_fixed(cap):
                    value, cap = cap, value
                unit = self.say.unit_of(value) or self.say.unit_of(cap)
                word = "maximum" if node.function == "min" else "minimum"
                return f"{self.grouped(value)}, met een {word} van {self.number(self.say.resolved(cap), unit)}"
            word = {("min", True): "de vroegste", ("max", True): "de laatste",
                    ("min", False): "het laagste", ("max", False): "het hoogste"}[(node.function, dates)]
            return f"{word} van {join_words([self.grouped(a) for a in args])}"
        if node.function == "earliest" and len(args) >= 2:
            # the first of several events: 'de werkhervatting, of de eindrapportage als die eerder is'
            return f"de eerste van: {join_words([self.grouped(a) for a in args], 'of')}"
        if node.function == "round" and len(args) == 1:
            what = "hele centen" if args[0].type == t.MONEY else "een heel getal"
            return f"{self.visit(args[0])}, afgerond op {what}"
        if node.function == "next_working_day" and len(args) == 1:
            return f"de eerste werkdag op of na {self.visit(args[0])}"
        if node.function == "text" and len(args) == 1:
            arg = args[0]
            if isinstance(arg.type, t.EnumType):
                return f"de code van {self.visit(arg)}"
            return self.visit(arg)
        raise self.say.fail(f"the sheet cannot say the function {node.function}(...) with {len(args)} "
                            "argument(s)", node)



    def visit_Every(self, node):
        start, until = self.bracketed(node.start), self.visit(node.until)
        span = f"vanaf {start} tot {until}"
        if isinstance(node.step, n.If):
            return f"{span}: {self.say.alternatives(node.step, lambda step: 'elke ' + self.visit(step))}"
        return f"elke {self.visit(node.step)} {span}"

    # -- subset and superset, indicative values, the product's own names ---------------------------

    def visit_SetRelation(self, node):
        return self.say.clause(node).main

    def visit_Indicative(self, node):
        return f"circa {self.visit(node.operand)}"

    def visit_BuiltIn(self, node):
        if node.name == "product_code":
            return f"de productcode ({node.value})"
        return f"de naam van de editie (‘{node.value}’)"
