"""Say rules in Dutch: checked expression trees become the sentences of the product sheets.

The Dutch sibling of `printer.to_text`. Nothing here knows a product: every word about a
product comes from the card (rule labels, values) or from facts.yaml (fact labels, the phrases
that say how a fact reads inside a sentence, choice labels). What the renderer cannot say well
is a `RenderError` at the expression's position, never a blank or a half sentence.

    registered_on + 56 days                -> uiterlijk 56 kalenderdagen na de aanmelding
    met_by: plan_submitted_on              -> de termijn is gehaald bij het indienen van het Re-integratieplan
                                              op of vóór die dag
    if c then a else b                     -> a als c; anders b
    if hard_to_place then 80% else 60%     -> 80% als de klant onder het Protocol Zeer Moeilijk Plaatsbaar valt;
                                              anders 60%
    every 3 months from s until e          -> elke 3 maanden vanaf de start tot het einde van het traject
    price <= max_price                     -> de prijs exclusief btw is ten hoogste € 5.000
    min(intake_hours, cap)                 -> de gedeclareerde uren ..., met een maximum van 5 uur

A fact's phrase is a noun phrase with its article ('de aanmelding'); for a yes/no fact it is a
clause in subordinate order ('de kwartaalrapportage vervalt'), said after 'als'. A date fact is an
event ('de aanmelding': 'bij de aanmelding', 'op de dag van de aanmelding') or a day ('de geplande
einddatum': 'op de geplande einddatum'). Card labels inside a sentence lose their brackets and get
an article; the verb agrees with a plural subject. These are rules of thumb of Dutch grammar, kept
in the section 'a little Dutch grammar' below.
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
from .printer import to_text

__all__ = [
    "RenderError", "rule_sentence", "expression", "check_product", "rule_applies", "payment_group",
    "number_text", "money_text", "percent_text", "date_text", "duration_text", "bool_text", "value_text",
    "validity_text", "label_in_sentence", "capitalize", "strip_brackets", "head_noun", "is_plural", "gender",
    "with_article", "agree", "label_unit", "with_unit", "is_date_noun", "predicate_split", "quoted_text",
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
    """A card label inside a sentence: 'Drempelbedrag (Europese aanbesteding)' -> 'drempelbedrag'.

    Bracketed asides are dropped (they belong to the heading, not to the sentence). Only a plain
    capitalised first word is lowered; 'Protocol Zeer Moeilijk Plaatsbaar', 'LEON', 'WGA-uitkering'
    or 'Eis 6: ...' keep their capitals.
    """
    label = strip_brackets(label)
    words = label.split(" ")
    first = words[0].rstrip(",;:.")
    if len(first) < 2 or not first[0].isupper() or not first[1:].replace("-", "").islower():
        return label
    if not first.isalpha() and "-" not in first:
        return label
    if len(words) > 1 and words[1][:1].isupper():
        return label
    return first[0].lower() + label[1:]


def strip_brackets(text: str) -> str:
    """The text without its bracketed asides: 'Prijs (excl. btw), per jaar' -> 'Prijs, per jaar'."""
    text = " ".join(str(text).split())
    depth, kept = 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
        elif not depth:
            kept.append(char)
    stripped = " ".join("".join(kept).split())
    for mark in ",;:.":
        stripped = stripped.replace(f" {mark}", mark)
    stripped = stripped.strip(" ,;:")
    return stripped or text


# -- a little Dutch grammar: articles, number agreement, units ----------------------------------------
#
# The sheets put fact phrases ('de aanmelding') and card labels ('Drempelbedrag') into sentences. The
# verb must agree with its subject ('de uren zijn', 'de prijs is') and a label needs an article
# ('het drempelbedrag'). Nouns do not say their gender or number, so these are rules of thumb of
# Dutch grammar; none of them knows a product.

ARTICLES = ("de", "het", "een")

# Where the head of a noun phrase ends: prepositions, conjunctions, relative words, finite verbs.
_HEAD_STOPS = frozenset("""
    van voor in op met bij zonder door na tot uit aan over onder om per vanaf tussen binnen tijdens volgens
    naar sinds tegen achter boven en of die dat wat waarvoor waarin waarop waarbij waarmee waarover waaruit
    waarnaar waarboven waaronder waarna waarvan is zijn wordt worden heeft hebben valt vallen geldt gelden
""".split())

# Nouns ending in -en that are singular (the plural of most Dutch nouns ends in -en).
_SINGULAR_EN = frozenset("examen teken leven wezen keuken wagen regen deken molen laken verlangen "
                         "vermogen gegeven inkomen volumen".split())

# Common 'het' nouns; a compound takes the gender of its last part ('drempelbedrag', 're-integratieplan').
# Every other noun is taken to be a 'de' noun, as about two thirds of Dutch nouns are.
_HET_NOUNS = frozenset("""
    aandeel aantal adres advies akkoord assessment bedrag bedrijf begin begrip beleid beroep besluit boek budget
    bureau centrum certificaat contract criterium deel diploma district document doel dossier effect einde examen
    feit formulier gebied geld gegeven gesprek getal geval inkomen jaar kantoor kenmerk krediet kwartaal land
    loket loon maximum middel minimum moment netwerk niveau nummer onderzoek overzicht percentage personeel plan
    product profiel programma project protocol proces punt rapport recht resultaat risico saldo salaris schema
    stadium succes systeem tarief team tijdstip totaal traject uur verslag verzoek vak volume voorstel werk
""".split())
_HET_ONLY_WHOLE = frozenset({"uur", "land", "deel", "punt"})  # too short to find inside other words safely
_HET_SUFFIXES = ("tje", "pje", "kje", "je", "isme", "ment")

_UNQUOTE = str.maketrans("", "", "‘’“”\"'`")


def _phrase_words(text: str) -> list[str]:
    """The words of a noun phrase up to where its head ends ('de fasen' of 'de fasen van het traject')."""
    for mark in ",;:(":
        text = text.split(mark)[0]
    words = []
    for word in text.split():
        if word.lower() in _HEAD_STOPS and words:
            break
        words.append(word)
    return words


def head_noun(text: str) -> str:
    """The noun a phrase is about: 'de gedeclareerde uren voor een intake' -> 'uren'."""
    words = _phrase_words(text)
    return words[-1].translate(_UNQUOTE) if words else ""


def is_plural(text: str) -> bool:
    """Does the noun phrase name more than one thing ('de fasen van het traject', 'de uren')?

    A phrase with 'het' or 'een', or that starts with a number or an amount ('2 weken na ...', '€ 5'),
    is singular; otherwise the head noun decides: plurals end in -en, -ers or -els.
    """
    words = _phrase_words(text)
    if not words:
        return False
    first = words[0].lower()
    if first in ("het", "een") or first[:1].isdigit() or first[:1] in "€-“‘":
        return False
    head = head_noun(text).lower()
    if len(head) > 3 and head.endswith(("en", "ën")) and head not in _SINGULAR_EN:
        return True
    return len(head) > 4 and head.endswith(("ers", "els"))


def gender(noun: str) -> str:
    """'het' or 'de' for a (compound) noun: het drempelbedrag, de maximumprijs."""
    word = noun.lower().translate(_UNQUOTE).split("-")[-1]
    if word in _HET_NOUNS or word.endswith(_HET_SUFFIXES):
        return "het"
    for het in _HET_NOUNS - _HET_ONLY_WHOLE:
        if word.endswith(het) and len(word) - len(het) >= 3:
            return "het"
    return "de"


def with_article(text: str) -> str:
    """A label as a noun phrase with its definite article: 'drempelbedrag' -> 'het drempelbedrag'.

    A label that starts with an article or a capital (a name: 'Protocol Zeer Moeilijk Plaatsbaar') is
    left as it is; plurals take 'de'.
    """
    words = text.split()
    if not words or words[0].lower() in ARTICLES or words[0][:1].isupper() or words[0][:1].isdigit():
        return text
    if is_plural(text):
        return f"de {text}"
    return f"{gender(head_noun(text))} {text}"


_FINITE_VERBS = frozenset("is zijn wordt worden heeft hebben staat staan maakt maken geldt gelden kent kennen werkt "
                          "werken kan kunnen moet moeten mag mogen valt vallen".split())
_PREDICATES = frozenset("nodig verplicht vereist toegestaan mogelijk gewenst verboden".split())


def predicate_split(label: str) -> tuple[str, str] | None:
    """A yes/no label that ends in a predicate, as subject and predicate: 're-integratieplan nodig' ->
    ('re-integratieplan', 'nodig'), to say 're-integratieplan nodig is'. None for other labels."""
    words = label.split()
    if len(words) < 2 or any(mark in label for mark in ":;") or any(w.lower() in _FINITE_VERBS for w in words):
        return None
    last = words[-1].lower().strip(",.")
    if (last in _PREDICATES or last.endswith(("ig", "baar", "lijk"))
            or (last.startswith("ge") and last.endswith(("d", "t")) and len(last) > 4)):
        return " ".join(words[:-1]), words[-1]
    return None


_VERBS = {"is": "zijn", "valt": "vallen", "behoort": "behoren", "geldt": "gelden", "bestaat": "bestaan"}


def agree(subject: str, verb: str, plural: bool | None = None) -> str:
    """The verb in the number of its subject: 'de uren' + 'is' -> 'zijn'."""
    if plural is None:
        plural = is_plural(subject)
    return _VERBS.get(verb, verb) if plural else verb


# Units a label may name in brackets: 'Duur kennismakingsgesprek (uren)' counts hours.
UNIT_WORDS = {
    "uren": ("uur", "uur"), "uur": ("uur", "uur"), "minuten": ("minuut", "minuten"),
    "dagen": ("dag", "dagen"), "kalenderdagen": ("kalenderdag", "kalenderdagen"),
    "werkdagen": ("werkdag", "werkdagen"), "weken": ("week", "weken"), "maanden": ("maand", "maanden"),
    "jaren": ("jaar", "jaar"), "jaar": ("jaar", "jaar"),
}


def label_unit(label: str) -> tuple[str, str] | None:
    """The unit a label names in its last brackets: '... ten hoogste (uren; niet te factureren)' -> uur."""
    text = " ".join(str(label).split())
    if ")" not in text or "(" not in text:
        return None
    inside = text[text.rindex("(") + 1:]
    inside = inside.split(")")[0]
    for mark in ";,":
        inside = inside.split(mark)[0]
    return UNIT_WORDS.get(inside.strip().lower())


def with_unit(amount: Decimal | int, unit: tuple[str, str] | None) -> str:
    """'5 uur', '1 uur', '2 dagen'; the number alone without a unit."""
    text = number_text(amount)
    if unit is None:
        return text
    return f"{text} {unit[0] if abs(Decimal(amount)) == 1 else unit[1]}"


def is_date_noun(text: str) -> bool:
    """Does the phrase name a day ('de geplande einddatum', '1 april 2016') rather than an event
    ('de aanmelding')? A day is 'op' a date; an event happens 'bij' or 'op de dag van'."""
    head = head_noun(text).lower()
    return head.endswith(("datum", "dag", "dagen")) or head[:1].isdigit() or text[:1].isdigit()


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


_SPACE = "\x00spatie"


def _join_pieces(said: list[str]) -> str:
    """'“12XR” gevolgd door een spatie en de code van ...'."""
    text = ""
    for index, item in enumerate(said):
        word = "een spatie" if item == _SPACE else item
        if index == 0:
            text = word
        elif said[index - 1] == _SPACE and index > 1:
            text += " en " + word
        else:
            text += " gevolgd door " + word
    return text or "“”"


def quoted_text(value: str) -> str:
    """A text in quotation marks; spaces at its edges are said in words, not hidden inside the quotes."""
    core = " ".join(value.split())
    said = ([_SPACE] if value[:1].isspace() else []) + ([f"“{core}”"] if core else [])
    if core and value[-1:].isspace():
        said.append(_SPACE)
    return _join_pieces(said)


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
    def of(subject: str, verb: str, complement: str = "", tail: str = "", plural: bool | None = None) -> "Clause":
        """Subject, verb (in the number of the subject), complement and a tail that stays last."""
        verb = agree(subject, verb, plural)
        return Clause(_words(subject, verb, complement, tail), _words(subject, complement, verb, tail))

    @staticmethod
    def given(sub: str) -> "Clause":
        """A statement written in subordinate order ('de Opdrachtgever full pay heeft toegekend'), as a
        fact's phrase is: after 'als' it stands as written, on its own it is introduced."""
        return Clause(f"het is zo dat {sub}", sub)


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

    def fact_phrase(self, name: str, node: n.Node) -> str:
        """How a fact reads inside a sentence: its phrase ('de aanmelding'), else its label."""
        label = self.fact_label(name, node)
        fact = self.vocabulary.facts.get(name)
        phrase = " ".join(str(getattr(fact, "phrase", None) or "").split())
        return phrase or label

    def has_phrase(self, name: str) -> bool:
        fact = self.vocabulary.facts.get(name)
        return bool(fact is not None and str(getattr(fact, "phrase", None) or "").strip())

    def member_label(self, enum: str, member: str, node: n.Node) -> str:
        label = enum_label(self.vocabulary, enum, member)
        if not label:
            raise self.fail(f"'{member}' of {enum} has no Dutch label", node,
                            hint=f"give '{member}' a label under enums.{enum}.members in facts.yaml")
        return label

    def kind_noun(self, enum: str) -> str | None:
        """The common noun the members of a choice share ('fase' in Oriëntatiefase and Aanbodversterkende
        fase; 'uitkering' in WGA-uitkering), or None when the members are names (District Rijnmond)."""
        labels = [" ".join(str(v).split()) for v in self.vocabulary.enum_labels.get(enum, {}).values() if v]
        if len(labels) < 2:
            return None
        suffix = labels[0]
        for label in labels[1:]:
            while suffix and not label.endswith(suffix):
                suffix = suffix[1:]
        suffix = suffix.lstrip(" -")
        if len(suffix) < 4 or not suffix[0].islower() or " " in suffix:
            return None
        return suffix

    def member_phrase(self, enum: str, member: str, node: n.Node, article: str | None) -> str:
        """A choice with an article when it is a common noun: 'de Oriëntatiefase', 'een WGA-uitkering';
        names ('District Rijnmond') never take one. `article` is 'de' (definite), 'een' or None."""
        label = self.member_label(enum, member, node)
        kind = self.kind_noun(enum)
        if article is None or kind is None:
            return label
        if article == "een":
            return f"een {label}"
        return f"{gender(kind)} {label}"

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
        return quoted_text(node.value)

    def _BoolLit(self, node):
        return bool_text(node.value)

    def _SetLit(self, node, article: str | None = "de"):
        enum = self.set_enum(node)
        if not node.members:
            return "geen"
        return join_words([self.member_phrase(enum.name, m, node, article) for m in node.members])

    def _Name(self, node):
        if node.qualifier is None and node.name in self.vocabulary.facts:
            return self.fact_phrase(node.name, node)
        if self.product is not None and node.name in self.product.rules:
            return self._RuleRef(n.RuleRef(node.name, pos=node.pos, type=node.type))
        kinds = [e for e in self.vocabulary.enums.values() if node.name in e.members]
        if node.qualifier is None and len(kinds) == 1:
            return self.member_phrase(kinds[0].name, node.name, node, "de")
        raise self.fail(f"cannot say '{node.name}': the expression is not type-checked", node,
                        hint="render expressions after the checker has resolved their names")

    def _FactRef(self, node):
        return self.fact_phrase(node.name, node)

    def _RuleRef(self, node):
        constant = self.constant(node)
        if constant is not None:
            if isinstance(constant, n.NumberLit):  # '5 uur' when the label names the unit: '(uren)'
                return with_unit(constant.value, self.unit_of(node))
            return self.noun(constant)
        due = self.inlined_deadline(node)
        if due is not None:
            return self.noun(due)
        rule = self.rule(node.name, node)
        self.rule_label(rule, node)
        label = " ".join(rule.label.split())
        if rule.section == "deadlines":
            return f"de uiterste datum ‘{label}’"
        if rule.section == "payments":
            return f"het bedrag ‘{label}’"
        if rule.section == "reports":
            return f"de datum van ‘{label}’"
        if rule.section == "checks":
            return f"de uitkomst van ‘{label}’"
        phrase = label_in_sentence(label)
        if isinstance(node.type, t.SetType) and not phrase.split()[0].lower() in ARTICLES:
            return f"de {phrase}"  # a set is named by a plural: 'de klantgroepen ...'
        return with_article(phrase)

    def unit_of(self, node: n.Node) -> tuple[str, str] | None:
        """The unit a number counts, from the label of the fact or rule it comes from: '(uren)'."""
        if isinstance(node, n.FactRef) and node.name in self.vocabulary.facts:
            return label_unit(self.vocabulary.facts[node.name].label)
        if isinstance(node, n.RuleRef) and self.product is not None and node.name in self.product.rules:
            return label_unit(self.product.rules[node.name].label)
        return None

    def number(self, node: n.Node, unit: tuple[str, str] | None) -> str:
        """A number in a comparison or a cap, with the unit of what it is compared with: '5 uur'."""
        if unit is not None and isinstance(node, n.NumberLit):
            return with_unit(node.value, unit)
        return self.noun(node)

    def _AsOfRef(self, node):
        return "de peildatum"

    def _EnumLit(self, node):
        return self.member_phrase(node.enum, node.member, node, "de")

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
        if isinstance(resolved, (n.And, n.Or, n.Compare, n.Member, n.Not)) or self.is_cap(resolved):
            return f"({text})"
        return text

    def _Arithmetic(self, node):
        left, right, op = node.left, node.right, node.op
        if node.type == t.DURATION and self.duration_of(node) is not None:
            return self.noun(self.duration_of(node))
        if node.type == t.DATE:
            date, duration = (right, left) if left.type == t.DURATION else (left, right)
            literal = self.duration_of(duration)
            fallback = self.resolved(date)
            if literal is not None and isinstance(fallback, n.Coalesce):
                # (intake_on ?? registered_on + 2 weeks) + 1 week: the week applies to both sides, so the
                # fallback is said in full ('3 weken na de aanmelding'), not as '2 weken na de aanmelding'.
                known = dataclasses.replace(node, left=fallback.left, right=literal)
                return f"{self.noun(known)} (zolang onbekend: {self.noun(self.shifted(fallback.right, literal, op))})"
            day = self.noun(date)
            if self.is_offset(date) or self.is_cap(self.resolved(date)):
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
        """Texts joined with +: literal pieces next to each other are shown as one quoted text, and a
        space at the edge of a piece is said in words ('“12XR” gevolgd door een spatie en ...')."""
        pieces: list[n.Node] = []

        def flatten(item):
            if isinstance(item, n.Arithmetic) and item.type == t.TEXT and item.op == "+":
                flatten(item.left)
                flatten(item.right)
            else:
                pieces.append(self.constant(item) or item)

        flatten(node)
        said: list[str] = []  # the pieces in order; _SPACE for a space between them
        literal: list[str] = []

        def flush():
            if not literal:
                return
            raw = "".join(literal)
            literal.clear()
            core = " ".join(raw.split())
            if raw[:1].isspace() and (not said or said[-1] != _SPACE):
                said.append(_SPACE)
            if core:
                said.append(f"“{core}”")
                if raw[-1:].isspace():
                    said.append(_SPACE)

        for piece in pieces:
            if isinstance(piece, n.TextLit):
                literal.append(piece.value)
                continue
            flush()
            said.append(self.grouped(piece))
        flush()
        return _join_pieces(said)

    def _Compare(self, node):
        return self.clause(node).main

    _Member = _And = _Or = _Not = _Compare

    def _If(self, node):
        return f"({self.alternatives(node, self.noun)})"

    def _Coalesce(self, node):
        if node.type == t.BOOL:
            return self.clause(node).main
        # An alternative as the fallback needs no brackets of its own inside these.
        right = self.resolved(node.right)
        fallback = self.alternatives(right, self.noun) if isinstance(right, n.If) else self.noun(node.right)
        return f"{self.noun(node.left)} (zolang onbekend: {fallback})"

    def is_cap(self, node: n.Node) -> bool:
        """min/max of two values, said as 'a, met een maximum van b' or 'a of, als dat eerder is, b', or a
        rounding ('a, afgerond op hele centen'): words that need brackets when more follows."""
        return isinstance(node, n.Call) and ((node.function in ("min", "max") and len(node.args) == 2)
                                             or node.function == "round")

    def bracketed(self, node: n.Node) -> str:
        """An operand of a comparison or the start of a series: in brackets when it has a comma."""
        text = self.noun(node)
        return f"({text})" if self.is_cap(self.resolved(node)) else text

    def _Call(self, node):
        args = node.args
        if node.function in ("min", "max"):
            if len(args) < 2:
                raise self.fail(f"{node.function}(...) needs two or more values", node)
            dates = node.type == t.DATE
            if len(args) == 2:
                args = self.without_fallback(args)
            if len(args) == 2 and dates:
                # min(a, b) of dates: 'a of, als dat eerder is, b'
                word = "eerder" if node.function == "min" else "later"
                return f"{self.grouped(args[0])} of, als dat {word} is, {self.grouped(args[1])}"
            if len(args) == 2 and node.type in (t.MONEY, t.NUMBER, t.PERCENT):
                # min(x, 5): 'x, met een maximum van 5'; the fixed value is the cap
                value, cap = args
                if self.is_fixed(value) and not self.is_fixed(cap):
                    value, cap = cap, value
                unit = self.unit_of(value) or self.unit_of(cap)
                word = "maximum" if node.function == "min" else "minimum"
                return f"{self.grouped(value)}, met een {word} van {self.number(self.resolved(cap), unit)}"
            word = {("min", True): "de vroegste", ("max", True): "de laatste",
                    ("min", False): "het laagste", ("max", False): "het hoogste"}[(node.function, dates)]
            return f"{word} van {join_words([self.grouped(a) for a in args])}"
        if node.function == "earliest" and len(args) >= 2:
            # the first of several events: 'de werkhervatting, of de eindrapportage als die eerder is'
            return f"de eerste van: {join_words([self.grouped(a) for a in args], 'of')}"
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

    def _Every(self, node):
        start, until = self.bracketed(node.start), self.noun(node.until)
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
        if node.type == t.BOOL and isinstance(node, (n.Call, n.AsOfRef, n.Lookup)):
            return Clause.of(self.noun(node), "geldt")
        if isinstance(node, n.Decide):
            table = self._table_words(node)
            return Clause(f"de tabel {table} zegt ‘ja’", f"de tabel {table} ‘ja’ zegt")
        raise self.fail(f"cannot say {type(node).__name__} as a statement", node)

    # -- decision tables and lookups ---------------------------------------------------------------

    def _table_words(self, node: n.Decide) -> str:
        """‘Verdeling …’ in de kolom ‘Inspanningsdeel’: the sheet shows the table itself next to it."""
        table = self.product.tables.get(node.table) if self.product is not None else None
        label = " ".join(table.label.split()) if table is not None else node.table
        column = dict(table.outputs).get(node.output, node.output) if table is not None else node.output
        return f"‘{label}’ in de kolom ‘{' '.join(column.split())}’"

    def _Decide(self, node):
        return f"de waarde die de tabel {self._table_words(node)} geeft"

    def _Lookup(self, node):
        lookup = self.product.lookups.get(node.lookup) if self.product is not None else None
        if lookup is None:
            return f"de {node.field} van {self.noun(node.key)} volgens de opzoektabel {node.lookup}"
        return (f"de {lookup.field_label(node.field)} van {self.noun(node.key)} volgens de opzoektabel "
                f"‘{' '.join(lookup.label.split())}’")

    def condition(self, node: n.Node) -> str:
        """A condition after 'als', in subordinate word order. An if-then-else cannot stand there."""
        if any(isinstance(sub, n.If) for sub in n.walk(node)):
            raise self.fail("a condition that itself contains 'if ... then ... else' cannot be said in one "
                            "Dutch sentence", node, hint="write the condition with 'and', 'or' and 'not'")
        return self.clause(node).sub

    def _flag(self, node: n.Node, negated: bool) -> Clause:
        """A yes/no fact or rule as a statement.

        A fact's phrase is a clause ('de kwartaalrapportage vervalt'); a rule label like 'Offerte nodig'
        reads 'offerte nodig is'; anything else is 'X geldt' / 'X geldt niet'.
        """
        if isinstance(node, n.Name) and self.product is not None and node.name in self.product.rules and not (
                node.qualifier is None and node.name in self.vocabulary.facts):
            node = n.RuleRef(node.name, pos=node.pos, type=node.type)
        if isinstance(node, n.RuleRef):
            rule = self.rule(node.name, node)
            label = " ".join(self.rule_label(rule, node).split())
            if rule.section == "checks":
                return Clause.of(f"aan ‘{label}’", "is", "niet voldaan" if negated else "voldaan")
            words = label_in_sentence(label)
            split = predicate_split(words)
            if split is not None:
                subject, predicate = split
                return Clause.of(subject, "is", f"niet {predicate}" if negated else predicate)
            return Clause.of(f"‘{words}’", "geldt", "niet" if negated else "")
        name = getattr(node, "name", None)
        if isinstance(node, (n.FactRef, n.Name)) and name in self.vocabulary.facts and self.has_phrase(name):
            statement = self.fact_phrase(name, node)
            if negated:
                return Clause(f"het is niet zo dat {statement}", f"het niet zo is dat {statement}")
            return Clause.given(statement)
        return Clause.of(self.noun(node), "geldt", "niet" if negated else "")

    def _not(self, operand: n.Node) -> Clause:
        if isinstance(operand, (n.FactRef, n.RuleRef, n.Name)):
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
                    clauses.append(Clause.of(elements, "behoort", f"tot {self.noun(item.container)}", plural=True))
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
            members = [self.member_phrase(enum.name, m, container, "een") for m in container.members]
            if not members:
                return Clause.of("dit", "geldt", "altijd" if node.negated else "nooit")
            if node.negated:  # 'geen WGA-uitkering', 'niet District Rijnmond'
                denied = [f"geen {m[4:]}" if m.startswith("een ") else f"niet {m}" for m in members]
                return Clause.of(element, "is", join_words(denied, "en"))
            return Clause.of(element, "is", join_words(members, "of"))
        return Clause.of(element, "behoort", f"{'niet ' if node.negated else ''}tot {self.noun(container)}")

    def _compare(self, node: n.Compare) -> Clause:
        left, right, op = node.left, node.right, node.op
        kind = left.type
        subject = self.bracketed(left)
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
            return Clause.of(subject, "is", ("precies " if op == "==" else "niet precies ") + self.noun(right),
                             plural=True)  # a set is a plural: 'de fasen van het traject zijn ...'
        if isinstance(kind, t.EnumType) or kind == t.TEXT:
            if op not in ("==", "!="):
                raise self.fail(f"cannot say '{op}' between {t.describe(kind)}s", node)
            if isinstance(right, n.EnumLit) or (isinstance(right, n.Name) and isinstance(kind, t.EnumType)):
                other = self.member_phrase(kind.name, getattr(right, "member", getattr(right, "name", "")),
                                           right, "een")
                if op == "!=" and other.startswith("een "):
                    return Clause.of(subject, "is", "geen " + other[4:])
            else:
                other = self.noun(right)
            return Clause.of(subject, "is", ("" if op == "==" else "niet ") + other)
        if kind == t.DATE:
            offset = self.is_offset(right)
            other = self.bracketed(right)
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
                raise self.fail(f"cannot say the comparison '{op}'", node)
            return Clause.of(subject, "valt", words[op])
        if op not in _ORDERED_WORDS:
            raise self.fail(f"cannot say the comparison '{op}'", node)
        words, preposition = _ORDERED_WORDS[op]
        other = self.number(right, self.unit_of(left))
        if self.is_cap(self.resolved(right)) and preposition is not None:
            other = f"({other})"
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
        """A single date, with 'op' in front unless it is said as an offset ('2 weken na X'); an event
        is 'op de dag van de intake', a day 'op de geplande einddatum'."""
        text = self.noun(node)
        if self.is_offset(node) or isinstance(node, n.Every) or self.is_cap(self.resolved(node)):
            return text
        return f"op {text}" if self.names_a_day(node, text) else f"op de dag van {text}"

    def names_a_day(self, node: n.Node, text: str) -> bool:
        """Whether a date expression names a day ('de geplande einddatum') rather than an event."""
        core = node.left if isinstance(node, n.Coalesce) else node
        core_text = text if core is node else self.noun(core)
        return isinstance(self.resolved(core), (n.DateLit, n.AsOfRef)) or is_date_noun(core_text)

    def at(self, node: n.Node) -> str:
        """When something happens at a date: 'bij de start', 'op de geplande einddatum', '2 weken na X'."""
        text = self.noun(node)
        if self.is_offset(node) or self.is_cap(self.resolved(node)):
            return text
        return f"op {text}" if self.names_a_day(node, text) else f"bij {text}"

    def met_by(self, node: n.Node, optional: bool = False) -> str:
        """When a deadline is met: 'de termijn is gehaald bij de intake op of vóór die dag'."""
        if optional:
            return (f"wordt die mogelijkheid niet gebruikt, dan vervalt ze; ze is gebruikt bij {self.noun(node)} "
                    "op of vóór die dag")
        if isinstance(node, n.Call) and node.function == "earliest":
            # either event fulfils the duty: 'bij A, of bij B, op of vóór die dag'
            return "de termijn is gehaald " + ", of ".join(f"bij {self.noun(a)}" for a in node.args) \
                + ", op of vóór die dag (wat het eerst gebeurt)"
        text = self.noun(node)
        if self.is_offset(node) or self.names_a_day(node, text):
            core = node.left if isinstance(node, n.Coalesce) else node
            verb = agree(self.noun(core), "valt")
            return f"de termijn is gehaald als {text} uiterlijk op die dag {verb}"
        return f"de termijn is gehaald bij {text} op of vóór die dag"

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
            if rule.optional:
                body += " (een mogelijkheid, geen verplichting)"
            if "met_by" in rule.exprs:
                notes.append(self.met_by(self.slot(rule, "met_by"), rule.optional))
            elif rule.optional:
                notes.append("wordt die mogelijkheid niet gebruikt, dan vervalt ze")
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

    def plain_value(self, node: n.Node, unit: tuple[str, str] | None = None) -> str:
        """A parameter's value on its own: a text without quotation marks, choices without articles,
        a number with the unit its label names ('1 uur')."""
        if isinstance(node, n.TextLit):
            return " ".join(node.value.split()) or "“”"
        if isinstance(node, n.SetLit):
            return self._SetLit(node, article=None)
        if isinstance(node, n.EnumLit):
            return self.member_label(node.enum, node.member, node)
        if isinstance(node, n.NumberLit):
            return with_unit(node.value, unit)
        return self.statement_or_noun(node)

    def parameter(self, rule: Rule) -> str:
        if not rule.editions:
            raise RenderError(f"the parameter '{rule.id}' has no value", rule.pos)
        said = []
        unit = label_unit(rule.label)
        for edition in rule.editions:
            text = self.alternatives(edition.expr.node, lambda value: self.plain_value(value, unit))
            validity = validity_text(edition.valid_from, edition.valid_until)
            said.append(f"{text} ({validity})" if validity else text)
        return "; ".join(said)

    def bij(self, condition: n.Node) -> str:
        """A condition of a payment split: 'als de klant ... valt'; 'bij X' / 'zonder X' for a yes/no
        fact that has no phrase of its own."""
        core, negated = condition, False
        if isinstance(core, n.Not):
            core, negated = core.operand, True
        if isinstance(core, n.Coalesce) and isinstance(core.right, n.BoolLit) and not core.right.value:
            core = core.left
        if isinstance(core, n.FactRef) and core.type == t.BOOL and not self.has_phrase(core.name):
            return f"{'zonder' if negated else 'bij'} {self.noun(core)}"
        return f"als {self.condition(condition)}"

    def split(self, parts: list[Rule]) -> str:
        """'De prijs: 60% inspanningsdeel, 40% resultaatdeel (80% / 20% als ...); opeisbaar bij X resp.
        bij Y'. One part of 100% is 'De matchingsfee is in één keer opeisbaar bij X'."""
        if not parts:
            raise RenderError("a payment without parts", None)
        first = parts[0]
        base = self.noun(self.slot(first, "base"))
        labels = [label_in_sentence(self.rule_label(p, p.exprs["share"].node if "share" in p.exprs else None))
                  for p in parts]
        triggers = [(label, self.at(p.exprs["on"].node)) for p, label in zip(parts, labels) if "on" in p.exprs]
        if len(parts) == 1:
            share = self.resolved(self.lift(self.slot(first, "share")))
            if isinstance(share, n.PercentLit) and share.value == 100 and triggers:
                return f"{base} {agree(base, 'is')} in één keer opeisbaar {triggers[0][1]}"
        lists = [self.decisions(self.lift(self.slot(p, "share"))) for p in parts]
        conditions = [tuple(c for c, _ in items) for items in lists]
        if all(c == conditions[0] for c in conditions) and len(conditions[0]) <= MAX_ALTERNATIVES:
            defaults = [items[-1][1] for items in lists]
            text = f"{base}: " + ", ".join(f"{self.noun(v)} {label}" for v, label in zip(defaults, labels))
            exceptions = []
            for index, condition in enumerate(conditions[0][:-1]):
                shares = " / ".join(self.noun(items[index][1]) for items in lists)
                exceptions.append(f"{shares} {self.bij(condition)}")
            if exceptions:
                text += f" ({'; anders '.join(exceptions)})"
        else:
            said = [f"{label} {self.alternatives(self.slot(p, 'share'), self.noun)}" for p, label in zip(parts, labels)]
            text = f"{base}, verdeeld in: " + "; ".join(said)
        if len(parts) == 1 and triggers:
            text += f", opeisbaar {triggers[0][1]}"
        elif triggers and len(triggers) == len(parts):
            text += "; opeisbaar " + " resp. ".join(on for _, on in triggers)
        elif triggers:
            text += "; " + ", ".join(f"{label} opeisbaar {on}" for label, on in triggers)
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
