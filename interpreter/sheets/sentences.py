"""Sentences: one Dutch sentence per rule of a card (deadlines, payment splits, reports, checks, values).

The Dutch sibling of `printer.to_text`. Nothing here knows a product: every word about a
product comes from the card (rule labels, values) or from facts.yaml (fact labels, the phrases
that say how a fact reads inside a sentence, choice labels). What the renderer cannot say well
is a `RenderError` at the expression's position, never a blank or a half sentence.

    registered_on + 56 days                -> uiterlijk 56 kalenderdagen na de aanmelding
    met_by: plan_submitted_on              -> de termijn is gehaald bij het indienen van het Re-integratieplan
                                              op of vóór die dag
    if c then a else b                     -> a als c; anders b
    every 3 months from s until e          -> elke 3 maanden vanaf de start tot het einde van het traject
    price <= max_price                     -> de prijs exclusief btw is ten hoogste € 5.000
    min(intake_hours, cap)                 -> de gedeclareerde uren ..., met een maximum van 5 uur

A fact's phrase is a noun phrase with its article ('de aanmelding'); for a yes/no fact it is a
clause in subordinate order ('de kwartaalrapportage vervalt'), said after 'als'. A date fact is an
event ('bij de aanmelding', 'op de dag van de aanmelding') or a day ('op de geplande einddatum').
The trees are simplified first (simplify.py), then said as noun phrases (phrases.py) and clauses
(clauses.py) with the help of a little Dutch grammar (grammar.py) and words (words.py).
"""
from __future__ import annotations

from typing import Callable

from .. import nodes as n
from .. import types as t
from ..errors import CatalogueError
from ..model import Product, Rule
from .clauses import Clauses
from .context import RenderError
from .grammar import Clause, is_date_noun, label_unit, with_unit
from .phrases import Phrases
from .simplify import MAX_ALTERNATIVES, Simplifier
from .words import capitalize, label_in_sentence, validity_text

__all__ = ["RenderError", "rule_sentence", "expression", "check_product", "rule_applies", "payment_group"]


def payment_group(rule: Rule, product: Product) -> list[Rule]:
    """The parts of the split a payment part belongs to, in card order."""
    group = rule.group or rule.id
    return [r for r in product.rules.values() if r.section == "payments" and (r.group or r.id) == group]




class Renderer(Simplifier):
    """Says the rules of one product: simplified trees, then phrases and clauses, then sentences."""

    def __init__(self, vocabulary, product: Product | None = None):
        super().__init__(vocabulary, product)
        self.phrases = Phrases(self)
        self.clauses = Clauses(self)

    # -- the two ways to say an expression ------------------------------------------------------

    def noun(self, node: n.Node) -> str:
        """The expression as a Dutch noun phrase (a value, a date, an amount, ...)."""
        return self.phrases.visit(node)

    def bracketed(self, node: n.Node) -> str:
        return self.phrases.bracketed(node)

    def number(self, node: n.Node, unit: tuple[str, str] | None) -> str:
        return self.phrases.number(node, unit)

    def clause(self, node: n.Node) -> Clause:
        """The yes/no expression as a statement in both word orders."""
        return self.clauses.visit(node)

    def condition(self, node: n.Node) -> str:
        return self.clauses.condition(node)

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
            verb = self.grammar.agree(self.noun(core), "valt")
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
        elif section == "payments" and "schedule" in rule.exprs:
            body = self.instalments(rule)
        elif section == "payments":
            body = self.split(payment_group(rule, self.product) if self.product else [rule])
        elif section == "reports":
            body = self.alternatives(self.slot(rule, "date"), self.date_phrase)
            body = "; ".join([body] + self.rolled(rule))
        elif section == "checks":
            test = self.lift(self.slot(rule, "test"))
            body = self.clause(test).main
            if rule.indicative:
                body += " (een indicatie: wordt die niet gehaald, dan volgt een melding, nooit een afkeuring)"
        else:
            raise self.fail(f"unknown kind of rule '{section}'", None)
        return capitalize(self.when_prefix(rule) + body) + "."

    def instalments(self, rule: Rule) -> str:
        """'Per periode van 3 maanden vanaf X tot Y, achteraf: A, opeisbaar op de laatste dag van elke periode'."""
        every = self.slot(rule, "schedule")
        start, until = self.bracketed(every.start), self.noun(every.until)
        return (f"per periode van {self.noun(every.step)} vanaf {start} tot {until}, achteraf: "
                f"{self.noun(self.slot(rule, 'amount'))}, opeisbaar op de laatste dag van elke periode; "
                "een kortere laatste periode naar rato van het aantal kalenderdagen")

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
            return self.phrases.visit_SetLit(node, article=None)
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
                return f"{base} {self.grammar.agree(base, 'is')} in één keer opeisbaar {triggers[0][1]}"
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
    from ..checker import Checker  # the checker is only needed for unchecked trees

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
    renderer = Renderer(vocabulary, product)
    return renderer.alternatives(_checked(node, vocabulary, product), renderer.statement_or_noun)


def rule_sentence(rule: Rule, product: Product, vocabulary) -> str:
    """The rule as one Dutch sentence. A payment part gives the sentence of its whole split."""
    try:
        return Renderer(vocabulary, product).sentence(rule)
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
    return Renderer(vocabulary, product).applies(rule)


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
