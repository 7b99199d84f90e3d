"""What the renderer looks up while it talks: labels and phrases of facts, choices and rules, and its error type."""
from __future__ import annotations

from .. import nodes as n
from .. import types as t
from ..errors import CatalogueError, Position
from ..model import Product, Rule
from .grammar import Grammar, label_unit
from .words import enum_label


class RenderError(CatalogueError):
    """A rule the product sheet cannot say in Dutch (well enough to print)."""

    stage = "sheet"


class Lookups:
    """The catalogue words one product's sentences are made of; each missing word is a RenderError."""

    def __init__(self, vocabulary, product: Product | None = None):
        self.vocabulary = vocabulary
        self.product = product
        self.grammar = Grammar(getattr(vocabulary, "words", None))

    # -- labels and phrases ---------------------------------------------------------------------

    def fail(self, message: str, node: n.Node | None, hint: str | None = None) -> RenderError:
        pos = getattr(node, "pos", None)
        return RenderError(message, pos if isinstance(pos, Position) else None,
                           hint or "write the rule more simply (e.g. split it into two rules), or report "
                                   "the rule to the maintainers of the sheet renderer")

    def table_words(self, node: n.Decide) -> str:
        """‘Verdeling …’ in de kolom ‘Inspanningsdeel’: the sheet shows the table itself under Tabellen."""
        table = self.product.tables.get(node.table) if self.product is not None else None
        if table is None:
            raise self.fail(f"the sheet cannot say the table '{node.table}' without its card", node)
        column = dict(table.outputs)[node.output]
        return f"‘{' '.join(table.label.split())}’ in de kolom ‘{' '.join(column.split())}’"

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
        return f"{self.grammar.gender(kind)} {label}"

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

    def unit_of(self, node: n.Node) -> tuple[str, str] | None:
        """The unit a number counts, from the label of the fact or rule it comes from: '(uren)'."""
        if isinstance(node, n.FactRef) and node.name in self.vocabulary.facts:
            return label_unit(self.vocabulary.facts[node.name].label)
        if isinstance(node, n.RuleRef) and self.product is not None and node.name in self.product.rules:
            return label_unit(self.product.rules[node.name].label)
        return None
