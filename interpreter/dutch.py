"""Say rules in Dutch: checked expression trees become the sentences of the product sheets.

The Dutch sibling of `printer.to_text`. Nothing here knows a product: every word about a
product comes from the card (rule labels, values) or from facts.yaml (fact and choice labels).
What the renderer cannot say well is a `RenderError` at the expression's position, never a
blank or a half sentence.

    registered_on + 56 days                -> uiterlijk 56 kalenderdagen na datum aanmelding
    if c then a else b                     -> a als c; anders b
    every 3 months from s until e          -> elke 3 maanden vanaf s tot e
    price <= max_price                     -> prijs (excl. btw) is ten hoogste € 5.000
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from . import nodes as n
from . import types as t
from .errors import CatalogueError, Position
from .model import Product, Rule

__all__ = [
    "RenderError", "rule_sentence", "expression", "check_product", "rule_applies", "payment_group",
    "number_text", "money_text", "percent_text", "date_text", "duration_text", "bool_text", "value_text",
    "validity_text", "label_in_sentence", "capitalize",
]


class RenderError(CatalogueError):
    """A rule the product sheet cannot say in Dutch (well enough to print)."""

    stage = "sheet"


# -- words and numbers ----------------------------------------------------------------------------

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")

# singular, plural
UNITS = {
    "days": ("kalenderdag", "kalenderdagen"),
    "working_days": ("werkdag", "werkdagen"),
    "weeks": ("week", "weken"),
    "months": ("maand", "maanden"),
    "years": ("jaar", "jaar"),
}

# The most alternatives one sentence may list ("a als b; c als d; ...; anders z").
MAX_ALTERNATIVES = 6


def number_text(value: Decimal | int, places: int | None = None) -> str:
    """A number the Dutch way: 209.000 and 1.350,5 (or exactly `places` decimals)."""
    value = Decimal(value)
    if places is None:
        if value == value.to_integral_value():
            places = 0
        else:
            text = format(value.normalize(), "f")
            places = len(text.split(".")[1])
    text = f"{abs(value):,.{places}f}"  # 1,350.50
    text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return ("-" if value < 0 else "") + text


def money_text(amount: Decimal | int) -> str:
    """€ 5.000 for whole euros, € 1.350,50 otherwise."""
    amount = Decimal(amount)
    whole = amount == amount.to_integral_value()
    text = number_text(abs(amount), 0 if whole else 2)
    return f"{'-' if amount < 0 else ''}€ {text}"


def percent_text(value: Decimal | int) -> str:
    return f"{number_text(value)}%"


def date_text(day: dt.date) -> str:
    """27 mei 2016."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def duration_text(amount: int, unit: str) -> str:
    """56 kalenderdagen, 10 werkdagen, 1 week, 3 maanden, 1 jaar."""
    if unit not in UNITS:
        raise ValueError(f"unknown unit of time '{unit}'")
    singular, plural = UNITS[unit]
    return f"{number_text(amount)} {singular if abs(amount) == 1 else plural}"


def bool_text(value: bool) -> str:
    return "ja" if value else "nee"


def join_words(items: list[str], last: str = "en") -> str:
    """a, b en c."""
    items = list(items)
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def capitalize(text: str) -> str:
    """The first letter upper case, unless the text starts with a word like 'iDEAL' or 'eHerkenning'."""
    if not text or not text[0].islower() or (len(text) > 1 and text[1].isupper()):
        return text
    return text[0].upper() + text[1:]


def label_in_sentence(label: str) -> str:
    """A card label inside a sentence: 'Drempelbedrag (...)' -> 'drempelbedrag (...)'.

    Only a plain capitalised first word is lowered; 'Protocol Zeer Moeilijk Plaatsbaar', 'LEON',
    'WGA-uitkering' or 'Eis 6: ...' keep their capitals.
    """
    label = " ".join(label.split())
    words = label.split(" ")
    first = words[0]
    if len(first) < 2 or not first[0].isupper() or not first[1:].replace("-", "").islower():
        return label
    if not first.isalpha() and "-" not in first:
        return label
    if len(words) > 1 and words[1][:1].isupper():
        return label
    return first[0].lower() + label[1:]


def validity_text(valid_from: dt.date | None, valid_until: dt.date | None) -> str:
    """'geldig van 1 januari 2016 tot en met 31 december 2017', or '' when always valid."""
    if valid_from and valid_until:
        return f"geldig van {date_text(valid_from)} tot en met {date_text(valid_until)}"
    if valid_from:
        return f"geldig vanaf {date_text(valid_from)}"
    if valid_until:
        return f"geldig tot en met {date_text(valid_until)}"
    return ""


def enum_label(vocabulary, enum: str, member: str) -> str:
    label = vocabulary.enum_labels.get(enum, {}).get(member)
    return " ".join(str(label).split()) if label else ""


def value_text(value: Any, type_: t.Type | None, vocabulary) -> str:
    """A run-time value (a result of the interpreter) in Dutch, for tables and worked examples."""
    from .values import Duration, Open  # run-time values; imported here to keep this module light

    if isinstance(value, Open):
        if value.missing:
            labels = [vocabulary.facts[name].label if name in vocabulary.facts else name
                      for name in sorted(value.missing)]
            return "onbekend (nodig: " + ", ".join(labels) + ")"
        return "onbekend"
    if value is None:
        return "onbekend"
    if isinstance(value, bool):
        return bool_text(value)
    if type_ == t.MONEY:
        return money_text(value)
    if type_ == t.PERCENT:
        return percent_text(value)
    if type_ == t.NUMBER:
        return number_text(value)
    if isinstance(value, dt.date):
        return date_text(value)
    if isinstance(value, (tuple, list)) and all(isinstance(v, dt.date) for v in value):
        return join_words([date_text(v) for v in value]) if value else "geen"
    if isinstance(value, Duration):
        return duration_text(value.amount, value.unit)
    if isinstance(type_, t.SetType):
        members = [m for m in type_.enum.members if m in value]
        return join_words([enum_label(vocabulary, type_.enum.name, m) or m for m in members]) or "geen"
    if isinstance(type_, t.EnumType):
        return enum_label(vocabulary, type_.name, value) or str(value)
    if isinstance(value, Decimal):
        return number_text(value)
    return str(value)


# -- clauses ----------------------------------------------------------------------------------------

def _words(*parts: str) -> str:
    return " ".join(p for p in parts if p)


@dataclass(frozen=True)
class Clause:
    """A statement in both Dutch word orders: main ('X is hoger dan Y') and subordinate, after
    'als' or 'dat' ('X hoger is dan Y')."""

    main: str
    sub: str
    simple: bool = True  # False for 'a en b' / 'a of b': needs brackets inside another 'en'/'of'

    @staticmethod
    def of(subject: str, verb: str, complement: str = "", tail: str = "") -> "Clause":
        return Clause(_words(subject, verb, complement, tail), _words(subject, complement, verb, tail))


def payment_group(rule: Rule, product: Product) -> list[Rule]:
    """The parts of the split a payment part belongs to, in card order."""
    group = rule.group or rule.id
    return [r for r in product.rules.values() if r.section == "payments" and (r.group or r.id) == group]


# -- the renderer -----------------------------------------------------------------------------------

_ORDERED_WORDS = {  # comparison -> (main words, subordinate words) for amounts and numbers
    "<=": ("ten hoogste", None), ">=": ("ten minste", None), "<": ("lager", "dan"), ">": ("hoger", "dan"),
    "==": ("gelijk", "aan"), "!=": ("niet gelijk", "aan"),
}
_NEGATED = {"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}


class _Renderer:
    def __init__(self, vocabulary, product: Product | None = None):
        self.vocabulary = vocabulary
        self.product = product

    # -- helpers ------------------------------------------------------------------------------

    def fail(self, message: str, node: n.Node | None, hint: str | None = None) -> RenderError:
        pos = getattr(node, "pos", None)
        return RenderError(message, pos if isinstance(pos, Position) else None,
                           hint or "write the rule more simply (e.g. split it into two rules), or report "
                                   "the rule to the maintainers of the sheet renderer")

    def fact_label(self, name: str, node: n.Node) -> str:
        fact = self.vocabulary.facts.get(name)
        label = " ".join(str(fact.label).split()) if fact is not None and fact.label else ""
        if not label:
            raise self.fail(f"the fact '{name}' has no Dutch label", node,
                            hint="give the fact a label in facts.yaml")
        return label

    def member_label(self, enum: str, member: str, node: n.Node) -> str:
        label = enum_label(self.vocabulary, enum, member)
        if not label:
            raise self.fail(f"'{member}' of {enum} has no Dutch label", node,
                            hint=f"give '{member}' a label under enums.{enum}.members in facts.yaml")
        return label

    def rule(self, name: str, node: n.Node) -> Rule:
        if self.product is None or name not in self.product.rules:
            raise self.fail(f"'{name}' refers to a rule of a card, but no card was given to read its label",
                            node, hint="render the expression with the product it belongs to")
        return self.product.rules[name]

    def rule_label(self, rule: Rule, node: n.Node) -> str:
        label = " ".join(rule.label.split())
        if not label:
            raise self.fail(f"the rule '{rule.id}' has no label", node, hint="give the rule a label: on its card")
        return label

    def set_enum(self, node: n.Node) -> t.EnumType:
        if isinstance(node.type, t.SetType):
            return node.type.enum
        if isinstance(node, n.SetLit):  # an unchecked tree: find the one kind all members belong to
            kinds = [e for e in self.vocabulary.enums.values() if all(m in e.members for m in node.members)]
            if len(kinds) == 1:
                return kinds[0]
        raise self.fail("cannot tell which kind of set this is", node,
                        hint="render type-checked expressions (the checker gives every set its kind)")

    # -- constants: parameters with one fixed value are said by their value ----------------------

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
        if isinstance(value, (n.NumberLit, n.MoneyLit, n.PercentLit, n.DateLit, n.DurationLit, n.TextLit)):
            return value
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
        """The due expression a reference to a deadline stands for, when it says the same."""
        if not isinstance(node, n.RuleRef) or self.product is None:
            return None
        rule = self.product.rules.get(node.name)
        if rule is None or rule.section != "deadlines" or "when" in rule.exprs or rule.roll:
            return None
        due = rule.exprs.get("due")
        if due is None or isinstance(due.node, (n.If, n.Coalesce, n.Every)):
            return None
        return due.node

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

    def is_offset(self, node: n.Node) -> bool:
        """A date said as 'N eenheden na/vóór X' (it takes no 'op' in front)."""
        node = self.resolved(node)
        if isinstance(node, n.Arithmetic) and node.type == t.DATE:
            duration = node.left if node.left.type == t.DURATION else node.right
            return self.duration_of(duration) is not None
        return False

    # -- lifting conditions to the front of a sentence ----------------------------------------

    def lift(self, node: n.Node) -> n.Node:
        """Move an `if` inside a calculation to the top: `x + (if c then a else b)` is said as
        `(x + a) als c; anders (x + b)`. Only through nodes that treat an unknown the same way."""
        if isinstance(node, n.If):
            return dataclasses.replace(node, condition=self.lift(node.condition), then=self.lift(node.then),
                                       otherwise=self.lift(node.otherwise))
        if isinstance(node, (n.Arithmetic, n.Compare)):
            return self._lift_fields(node, ("left", "right"))
        if isinstance(node, n.Member):
            return self._lift_fields(node, ("element", "container"))
        if isinstance(node, n.Negate):
            return self._lift_fields(node, ("operand",))
        if isinstance(node, n.Every):
            # The step stays: 'vanaf S tot E: elke a als c; anders elke b' reads better.
            node = dataclasses.replace(node, step=self.lift(node.step))
            return self._lift_fields(node, ("start", "until"))
        if isinstance(node, n.Call):
            args = tuple(self.lift(a) for a in node.args)
            for index, arg in enumerate(args):
                if isinstance(arg, n.If):
                    def with_arg(value, i=index):
                        return dataclasses.replace(node, args=args[:i] + (value,) + args[i + 1:])
                    return self.lift(n.If(arg.condition, with_arg(arg.then), with_arg(arg.otherwise),
                                          pos=arg.pos, type=node.type))
            return dataclasses.replace(node, args=args)
        if isinstance(node, (n.And, n.Or)):
            return dataclasses.replace(node, left=self.lift(node.left), right=self.lift(node.right))
        if isinstance(node, n.Not):
            return dataclasses.replace(node, operand=self.lift(node.operand))
        if isinstance(node, n.Coalesce):
            return dataclasses.replace(node, left=self.lift(node.left), right=self.lift(node.right))
        return node

    def _lift_fields(self, node: n.Node, fields: tuple[str, ...]) -> n.Node:
        values = {name: self.lift(getattr(node, name)) for name in fields}
        for name, child in values.items():
            if isinstance(child, n.If):
                then = dataclasses.replace(node, **{**values, name: child.then})
                otherwise = dataclasses.replace(node, **{**values, name: child.otherwise})
                return self.lift(n.If(child.condition, then, otherwise, pos=child.pos, type=node.type))
        return dataclasses.replace(node, **values)

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

    def alternatives(self, node: n.Node, say: Callable[[n.Node], str]) -> str:
        """'a als c; b als d; anders z', each value said by `say`."""
        node = self.lift(node)
        items = self.decisions(node)
        if len(items) > MAX_ALTERNATIVES:
            raise self.fail(f"this rule has {len(items)} alternatives; a sentence can list at most "
                            f"{MAX_ALTERNATIVES}", node, hint="split the rule, or simplify its conditions")
        if len(items) == 1:
            return say(items[0][1])
        said = [f"{say(value)} als {self.condition(condition)}" for condition, value in items[:-1]]
        return "; ".join(said) + f"; anders {say(items[-1][1])}"

    # -- noun phrases ---------------------------------------------------------------------------

    def noun(self, node: n.Node) -> str:
        """The expression as a Dutch noun phrase (a value, a date, an amount, ...)."""
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise self.fail(f"the sheet cannot say a {type(node).__name__} in Dutch", node)
        return method(node)

    def _NumberLit(self, node):
        return number_text(node.value)

    def _MoneyLit(self, node):
        return money_text(node.value)

    def _PercentLit(self, node):
        return percent_text(node.value)

    def _DateLit(self, node):
        return date_text(node.value)

    def _DurationLit(self, node):
        try:
            return duration_text(node.amount, node.unit)
        except ValueError as error:
            raise self.fail(str(error), node) from None

    def _TextLit(self, node):
        return f"“{node.value}”"

    def _BoolLit(self, node):
        return bool_text(node.value)

    def _SetLit(self, node):
        enum = self.set_enum(node)
        if not node.members:
            return "geen"
        return join_words([self.member_label(enum.name, m, node) for m in node.members])

    def _Name(self, node):
        if node.qualifier is None and node.name in self.vocabulary.facts:
            return self.fact_label(node.name, node)
        if self.product is not None and node.name in self.product.rules:
            return self._RuleRef(n.RuleRef(node.name, pos=node.pos, type=node.type))
        kinds = [e for e in self.vocabulary.enums.values() if node.name in e.members]
        if node.qualifier is None and len(kinds) == 1:
            return self.member_label(kinds[0].name, node.name, node)
        raise self.fail(f"cannot say '{node.name}': the expression is not type-checked", node,
                        hint="render expressions after the checker has resolved their names")

    def _FactRef(self, node):
        return self.fact_label(node.name, node)

    def _RuleRef(self, node):
        constant = self.constant(node)
        if constant is not None:
            return self.noun(constant)
        due = self.inlined_deadline(node)
        if due is not None:
            return self.noun(due)
        rule = self.rule(node.name, node)
        label = label_in_sentence(self.rule_label(rule, node))
        if rule.section == "deadlines":
            return f"de uiterste datum ‘{rule.label.strip()}’"
        if rule.section == "payments":
            return f"het bedrag ‘{rule.label.strip()}’"
        if rule.section == "reports":
            return f"de datum van ‘{rule.label.strip()}’"
        if rule.section == "checks":
            return f"de uitkomst van ‘{rule.label.strip()}’"
        return label

    def _AsOfRef(self, node):
        return "de peildatum"

    def _EnumLit(self, node):
        return self.member_label(node.enum, node.member, node)

    def _Negate(self, node):
        operand = self.resolved(node.operand)
        if isinstance(operand, (n.NumberLit, n.MoneyLit, n.PercentLit)):
            return "-" + self.noun(operand) if not isinstance(operand, n.MoneyLit) else money_text(-operand.value)
        return f"min {self.grouped(node.operand)}"

    def grouped(self, node: n.Node, parent: n.Arithmetic | None = None, left: bool = True) -> str:
        """A sub-expression inside a calculation: in brackets when it is itself a calculation, unless
        it reads the same without them (`a plus b plus c`, `a keer b keer c`)."""
        text = self.noun(node)
        resolved = self.resolved(node)
        if (parent is not None and isinstance(resolved, n.Arithmetic) and resolved.type == parent.type
                and resolved.type in (t.NUMBER, t.MONEY, t.PERCENT) and self.duration_of(resolved) is None):
            same_level = {resolved.op, parent.op} <= {"+", "-"} or {resolved.op, parent.op} <= {"*", "/"}
            if same_level and (left or (resolved.op == parent.op and parent.op in "+*")):
                if not (parent.op == "*" and t.PERCENT in (parent.left.type, parent.right.type)):
                    return text
        if isinstance(resolved, (n.Arithmetic, n.If, n.Every)) and not self.is_offset(resolved):
            return f"({text})"
        if isinstance(resolved, (n.And, n.Or, n.Compare, n.Member, n.Not)):
            return f"({text})"
        return text

    def _Arithmetic(self, node):
        left, right, op = node.left, node.right, node.op
        if node.type == t.DURATION and self.duration_of(node) is not None:
            return self.noun(self.duration_of(node))
        if node.type == t.DATE:
            date, duration = (right, left) if left.type == t.DURATION else (left, right)
            literal = self.duration_of(duration)
            day = self.noun(date)
            if self.is_offset(date):
                day = f"({day})"
            if literal is not None:
                word = "na" if op == "+" else "vóór"
                return f"{self.noun(literal)} {word} {day}"
            return f"{day} {'vermeerderd' if op == '+' else 'verminderd'} met {self.grouped(duration)}"
        if left.type == t.DATE and right.type == t.DATE:
            return f"het aantal dagen van {self.noun(right)} tot {self.noun(left)}"
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
        """Texts joined with +: literal pieces next to each other are shown as one quoted text."""
        pieces: list[n.Node] = []

        def flatten(item):
            if isinstance(item, n.Arithmetic) and item.type == t.TEXT and item.op == "+":
                flatten(item.left)
                flatten(item.right)
            else:
                pieces.append(self.constant(item) or item)

        flatten(node)
        said: list[str] = []
        literal: list[str] = []
        for piece in pieces:
            if isinstance(piece, n.TextLit):
                literal.append(piece.value)
                continue
            if literal:
                said.append(f"“{''.join(literal)}”")
                literal = []
            said.append(self.grouped(piece))
        if literal:
            said.append(f"“{''.join(literal)}”")
        return " gevolgd door ".join(said)

    def _Compare(self, node):
        return self.clause(node).main

    _Member = _And = _Or = _Not = _Compare

    def _If(self, node):
        return f"({self.alternatives(node, self.noun)})"

    def _Coalesce(self, node):
        if node.type == t.BOOL:
            return self.clause(node).main
        return f"{self.noun(node.left)} (zolang onbekend: {self.noun(node.right)})"

    def _Call(self, node):
        args = node.args
        if node.function in ("min", "max"):
            if len(args) < 2:
                raise self.fail(f"{node.function}(...) needs two or more values", node)
            dates = node.type == t.DATE
            word = {("min", True): "de vroegste", ("max", True): "de laatste",
                    ("min", False): "het laagste", ("max", False): "het hoogste"}[(node.function, dates)]
            return f"{word} van {join_words([self.grouped(a) for a in args])}"
        if node.function == "round" and len(args) == 1:
            what = "hele centen" if args[0].type == t.MONEY else "een heel getal"
            return f"{self.noun(args[0])}, afgerond op {what}"
        if node.function == "next_working_day" and len(args) == 1:
            return f"de eerste werkdag op of na {self.noun(args[0])}"
        if node.function == "text" and len(args) == 1:
            arg = args[0]
            if isinstance(arg.type, t.EnumType):
                return f"de code van {self.noun(arg)}"
            return self.noun(arg)
        raise self.fail(f"the sheet cannot say the function {node.function}(...) with {len(args)} "
                        "argument(s)", node)

    def _Every(self, node):
        start, until = self.noun(node.start), self.noun(node.until)
        span = f"vanaf {start} tot {until}"
        if isinstance(node.step, n.If):
            return f"{span}: {self.alternatives(node.step, lambda step: 'elke ' + self.noun(step))}"
        return f"elke {self.noun(node.step)} {span}"

    # -- clauses (yes/no expressions) ------------------------------------------------------------

    def clause(self, node: n.Node) -> Clause:
        if isinstance(node, (n.FactRef, n.RuleRef, n.Name)):
            return self._flag(node, negated=False)
        if isinstance(node, n.BoolLit):
            return Clause.of("dit", "geldt", "altijd" if node.value else "nooit")
        if isinstance(node, n.Compare):
            return self._compare(node)
        if isinstance(node, n.Member):
            return self._member(node)
        if isinstance(node, n.Not):
            return self._not(node.operand)
        if isinstance(node, (n.And, n.Or)):
            return self._junction(node)
        if isinstance(node, n.Coalesce):
            left = self.clause(node.left)
            if isinstance(node.right, n.BoolLit) and not node.right.value:
                return left  # unknown counts as 'no': the statement holds only when it is known to hold
            if isinstance(node.right, n.BoolLit):
                return Clause(f"{left.main} (of dat is nog onbekend)", f"{left.sub} (of dat nog onbekend is)")
            right = self.clause(node.right)
            return Clause(f"{left.main} (zolang dat onbekend is: {right.main})",
                          f"{left.sub} (zolang dat onbekend is: {right.main})")
        if isinstance(node, n.If):
            items = self.decisions(node)
            if len(items) > MAX_ALTERNATIVES:
                raise self.fail(f"this condition has {len(items)} alternatives; a sentence can list at most "
                                f"{MAX_ALTERNATIVES}", node)
            said = [f"als {self.clause(c).sub}: {self.clause(v).main}" for c, v in items[:-1]]
            main = "; ".join(said) + f"; anders: {self.clause(items[-1][1]).main}"
            return Clause(main, main, simple=False)
        if node.type == t.BOOL and isinstance(node, (n.Call, n.AsOfRef)):
            return Clause.of(self.noun(node), "geldt")
        raise self.fail(f"cannot say {type(node).__name__} as a statement", node)

    def condition(self, node: n.Node) -> str:
        """A condition after 'als', in subordinate word order. An if-then-else cannot stand there."""
        if any(isinstance(sub, n.If) for sub in n.walk(node)):
            raise self.fail("a condition that itself contains 'if ... then ... else' cannot be said in one "
                            "Dutch sentence", node, hint="write the condition with 'and', 'or' and 'not'")
        return self.clause(node).sub

    def _flag(self, node: n.Node, negated: bool) -> Clause:
        """A yes/no fact or rule: 'X geldt' / 'X geldt niet'."""
        if isinstance(node, n.RuleRef):
            rule = self.rule(node.name, node)
            if rule.section == "checks":
                label = rule.label.strip()
                return Clause.of(f"aan ‘{label}’", "is", "niet voldaan" if negated else "voldaan")
            label = label_in_sentence(self.rule_label(rule, node))
        else:
            label = self.noun(node)
        return Clause.of(label, "geldt", "niet" if negated else "")

    def _not(self, operand: n.Node) -> Clause:
        if isinstance(operand, (n.FactRef, n.RuleRef)):
            return self._flag(operand, negated=True)
        if isinstance(operand, n.Not):
            return self.clause(operand.operand)
        if isinstance(operand, n.Compare) and operand.left.type != t.BOOL:
            return self._compare(dataclasses.replace(operand, op=_NEGATED.get(operand.op, operand.op)))
        if isinstance(operand, n.Member):
            return self._member(dataclasses.replace(operand, negated=not operand.negated))
        if isinstance(operand, n.BoolLit):
            return self.clause(dataclasses.replace(operand, value=not operand.value))
        inner = self.clause(operand)
        return Clause.of("het", "is", "niet zo", f"dat {inner.sub}")

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
                    elements = join_words([self.noun(g.element) for g in group])
                    clauses.append(Clause.of(elements, "behoren", f"tot {self.noun(item.container)}"))
                    index += len(group)
                    continue
            clause = self.clause(item)
            if not clause.simple:
                clause = Clause(f"({clause.main})", f"({clause.sub})")
            clauses.append(clause)
            index += 1
        if len(clauses) == 1:
            return clauses[0]
        return Clause(join_words([c.main for c in clauses], word), join_words([c.sub for c in clauses], word),
                      simple=False)

    def _member(self, node: n.Member) -> Clause:
        element = self.noun(node.element)
        container = node.container
        if isinstance(container, n.SetLit):
            enum = self.set_enum(container)
            members = [self.member_label(enum.name, m, container) for m in container.members]
            if not members:
                return Clause.of("dit", "geldt", "altijd" if node.negated else "nooit")
            if node.negated:
                return Clause.of(element, "is", join_words([f"niet {m}" for m in members], "en"))
            return Clause.of(element, "is", join_words(members, "of"))
        return Clause.of(element, "behoort", f"{'niet ' if node.negated else ''}tot {self.noun(container)}")

    def _compare(self, node: n.Compare) -> Clause:
        left, right, op = node.left, node.right, node.op
        kind = left.type
        subject = self.noun(left)
        if kind == t.BOOL:
            if isinstance(right, n.BoolLit) and op in ("==", "!="):
                holds = right.value == (op == "==")
                return self.clause(left) if holds else self._not(left)
            other = self.clause(right).main
            return Clause.of(subject, "is", "gelijk" if op == "==" else "niet gelijk",
                             f"aan de uitkomst van: {other}")
        if isinstance(kind, t.SetType):
            if op not in ("==", "!="):
                raise self.fail(f"cannot say '{op}' between sets", node)
            return Clause.of(subject, "zijn", ("precies " if op == "==" else "niet precies ") + self.noun(right))
        if isinstance(kind, t.EnumType) or kind == t.TEXT:
            if op not in ("==", "!="):
                raise self.fail(f"cannot say '{op}' between {t.describe(kind)}s", node)
            return Clause.of(subject, "is", ("" if op == "==" else "niet ") + self.noun(right))
        if kind == t.DATE:
            offset = self.is_offset(right)
            other = self.noun(right)
            words = {
                "<=": f"uiterlijk {other}" if offset else f"uiterlijk op {other}",
                "<": f"eerder dan {other}" if offset else f"vóór {other}",
                ">": f"later dan {other}" if offset else f"na {other}",
                ">=": f"niet eerder dan {other}" if offset else f"op of na {other}",
                "==": f"precies {other}" if offset else f"op {other}",
                "!=": f"niet precies {other}" if offset else f"niet op {other}",
            }
            if op not in words:
                raise self.fail(f"cannot say the comparison '{op}'", node)
            return Clause.of(subject, "valt", words[op])
        if op not in _ORDERED_WORDS:
            raise self.fail(f"cannot say the comparison '{op}'", node)
        words, preposition = _ORDERED_WORDS[op]
        other = self.noun(right)
        if preposition is None:
            return Clause.of(subject, "is", f"{words} {other}")
        return Clause.of(subject, "is", words, f"{preposition} {other}")

    # -- sentences per kind of rule -------------------------------------------------------------

    def applies(self, rule: Rule) -> bool | None:
        """False when the rule's `when` can never hold for this product, True when it always does."""
        when = rule.exprs.get("when")
        if when is None:
            return True
        return self.constant_bool(when.node)

    def when_prefix(self, rule: Rule) -> str:
        when = rule.exprs.get("when")
        if when is None or self.constant_bool(when.node) is True:
            return ""
        return f"alleen als {self.condition(self.lift(when.node))}: "

    def date_phrase(self, node: n.Node) -> str:
        """A single date, with 'op' in front unless it is said as an offset ('2 weken na X')."""
        text = self.noun(node)
        if self.is_offset(node) or isinstance(node, n.Every):
            return text
        return f"op {text}"

    def rolled(self, rule: Rule) -> list[str]:
        if rule.roll == "next_working_day":
            return ["valt die dag niet op een werkdag, dan geldt de eerstvolgende werkdag"]
        return []

    def sentence(self, rule: Rule) -> str:
        if self.applies(rule) is False:
            return self._not_applicable(rule)
        section = rule.section
        if section == "parameters":
            return capitalize(self.when_prefix(rule) + self.parameter(rule))
        if section == "values":
            body = self.alternatives(self.slot(rule, "value"), self.statement_or_noun)
        elif section == "deadlines":
            body = self.alternatives(self.slot(rule, "due"), lambda v: "uiterlijk " + self.date_phrase(v))
            notes = self.rolled(rule)
            if "met_by" in rule.exprs:
                notes.append(f"op tijd als {self.noun(self.slot(rule, 'met_by'))} niet later valt")
            body = "; ".join([body] + notes)
        elif section == "payments":
            body = self.split(payment_group(rule, self.product) if self.product else [rule])
        elif section == "reports":
            body = self.alternatives(self.slot(rule, "date"), self.date_phrase)
            body = "; ".join([body] + self.rolled(rule))
        elif section == "checks":
            test = self.lift(self.slot(rule, "test"))
            body = self.clause(test).main
        else:
            raise self.fail(f"unknown kind of rule '{section}'", None)
        return capitalize(self.when_prefix(rule) + body) + "."

    def _not_applicable(self, rule: Rule) -> str:
        when = rule.exprs["when"].node
        return f"Niet van toepassing op dit product: alleen als {self.condition(when)}, en dat is hier niet zo."

    def slot(self, rule: Rule, name: str) -> n.Node:
        expr = rule.exprs.get(name)
        if expr is None:
            raise self.fail(f"the rule '{rule.id}' has no '{name}'", None)
        return expr.node

    def statement_or_noun(self, node: n.Node) -> str:
        if node.type == t.BOOL and not isinstance(node, n.BoolLit):
            return self.clause(node).main
        return self.noun(node)

    def plain_value(self, node: n.Node) -> str:
        """A parameter's value on its own: a text without quotation marks."""
        if isinstance(node, n.TextLit):
            return " ".join(node.value.split()) or "“”"
        return self.statement_or_noun(node)

    def parameter(self, rule: Rule) -> str:
        if not rule.editions:
            raise RenderError(f"the parameter '{rule.id}' has no value", rule.pos)
        said = []
        for edition in rule.editions:
            text = self.alternatives(edition.expr.node, self.plain_value)
            validity = validity_text(edition.valid_from, edition.valid_until)
            said.append(f"{text} ({validity})" if validity else text)
        return "; ".join(said)

    def bij(self, condition: n.Node) -> str:
        """A condition of a payment split: 'bij X' for a yes/no fact, else 'als ...'."""
        core, negated = condition, False
        if isinstance(core, n.Not):
            core, negated = core.operand, True
        if isinstance(core, n.Coalesce) and isinstance(core.right, n.BoolLit) and not core.right.value:
            core = core.left
        if isinstance(core, n.FactRef) and core.type == t.BOOL:
            return f"{'zonder' if negated else 'bij'} {self.noun(core)}"
        return f"als {self.condition(condition)}"

    def split(self, parts: list[Rule]) -> str:
        if not parts:
            raise RenderError("a payment without parts", None)
        first = parts[0]
        base = self.noun(self.slot(first, "base"))
        labels = [label_in_sentence(self.rule_label(p, p.exprs["share"].node if "share" in p.exprs else None))
                  for p in parts]
        lists = [self.decisions(self.lift(self.slot(p, "share"))) for p in parts]
        conditions = [tuple(c for c, _ in items) for items in lists]
        if all(c == conditions[0] for c in conditions) and len(conditions[0]) <= MAX_ALTERNATIVES:
            defaults = [items[-1][1] for items in lists]
            text = f"{base}: " + ", ".join(f"{self.noun(v)} {label}" for v, label in zip(defaults, labels))
            exceptions = []
            for index, condition in enumerate(conditions[0][:-1]):
                shares = " / ".join(self.noun(items[index][1]) for items in lists)
                exceptions.append(f"{self.bij(condition)} {shares}")
            if exceptions:
                text += f" ({'; anders '.join(exceptions)})"
        else:
            said = [f"{label} {self.alternatives(self.slot(p, 'share'), self.noun)}" for p, label in zip(parts, labels)]
            text = f"{base}, verdeeld in: " + "; ".join(said)
        triggers = [(label, self.noun(p.exprs["on"].node)) for p, label in zip(parts, labels) if "on" in p.exprs]
        if len(parts) == 1 and triggers:
            text += f", opeisbaar op {triggers[0][1]}"
        elif triggers and len(triggers) == len(parts):
            text += "; opeisbaar op " + " resp. ".join(on for _, on in triggers)
        elif triggers:
            text += "; " + ", ".join(f"{label} opeisbaar op {on}" for label, on in triggers)
        return text


# -- the API ------------------------------------------------------------------------------------------

def _checked(node: n.Node, vocabulary, product: Product | None) -> n.Node:
    """A tree straight from the parser (with unresolved names) is type-checked first: the words
    depend on the types ('2 weken na X' for a date, 'X plus Y' for amounts)."""
    if not any(isinstance(sub, n.Name) for sub in n.walk(node)):
        return node
    from .checker import Checker  # the checker is only needed for unchecked trees

    rules = dict(product.rules) if product is not None else {}
    checker = Checker(vocabulary.fact_types, vocabulary.enums, rules)
    checker._done.update(rules)  # the product's rules are checked already: reuse their types
    try:
        return checker.check(node)
    except CatalogueError as error:
        raise RenderError(f"cannot say an expression that does not type-check: {error.message}",
                          error.position, error.hint) from None


def expression(node: n.Node, vocabulary, product: Product | None = None) -> str:
    """One expression as Dutch words: a noun phrase for values, a statement for yes/no expressions.

    References to rules need the product (for their labels); without it they are a RenderError.
    """
    renderer = _Renderer(vocabulary, product)
    return renderer.alternatives(_checked(node, vocabulary, product), renderer.statement_or_noun)


def rule_sentence(rule: Rule, product: Product, vocabulary) -> str:
    """The rule as one Dutch sentence. A payment part gives the sentence of its whole split."""
    try:
        return _Renderer(vocabulary, product).sentence(rule)
    except RenderError as error:
        if error.position.line == 0:  # an error without a place of its own: point at the rule
            raise RenderError(f"{rule.id}: {error.message}", rule.pos, error.hint) from None
        raise
    except RecursionError:
        raise RenderError(f"the rule '{rule.id}' is nested too deeply to say in a sentence", rule.pos,
                          hint="split the rule into smaller rules") from None


def rule_applies(rule: Rule, product: Product, vocabulary=None) -> bool | None:
    """False when the rule never applies to this product (its `when` is a fixed 'no'), True when it
    always does, None when that depends on the case."""
    return _Renderer(vocabulary, product).applies(rule)


def check_product(product: Product, vocabulary) -> list[RenderError]:
    """Render every rule of a product; the rules that cannot be said, as errors (for `validate`)."""
    errors: list[RenderError] = []
    seen_groups: set[str] = set()
    for rule in product.rules.values():
        if rule.section == "payments":
            group = rule.group or rule.id
            if group in seen_groups:
                continue
            seen_groups.add(group)
        try:
            text = rule_sentence(rule, product, vocabulary)
        except RenderError as error:
            errors.append(error)
            continue
        if not text.strip(" .") or "None" in text.split():
            errors.append(RenderError(f"the rule '{rule.id}' renders as an empty or broken sentence",
                                      rule.pos))
    return errors


def sentences(product: Product, vocabulary) -> dict[str, str]:
    """Every rule's sentence by rule id (raises the first RenderError)."""
    return {rule.id: rule_sentence(rule, product, vocabulary) for rule in product.rules.values()}
