"""A little Dutch grammar: head nouns, articles, number agreement, units, both word orders of a clause."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..catalogue import Words
from .words import number_text

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

# Diminutives and these endings always take 'het' (het kwartaaltje, het mechanisme, het document).
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


_VERBS = {"is": "zijn", "valt": "vallen", "behoort": "behoren", "geldt": "gelden", "bestaat": "bestaan",
          "omvat": "omvatten"}


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


# -- clauses: a statement in both word orders ---------------------------------------------------------

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
    def given(sub: str) -> "Clause":
        """A statement written in subordinate order ('de Opdrachtgever full pay heeft toegekend'), as a
        fact's phrase is: after 'als' it stands as written, on its own it is introduced."""
        return Clause(f"het is zo dat {sub}", sub)


class Grammar:
    """The rules of thumb that need a catalogue's word lists (words.yaml): gender, number, agreement."""

    def __init__(self, words: Words | None = None):
        self.words = words or Words()

    def is_plural(self, text: str) -> bool:
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
        if len(head) > 3 and head.endswith(("en", "ën")) and head not in self.words.singular_en:
            return True
        return len(head) > 4 and head.endswith(("ers", "els"))

    def gender(self, noun: str) -> str:
        """'het' or 'de' for a (compound) noun: het drempelbedrag, de maximumprijs."""
        word = noun.lower().translate(_UNQUOTE).split("-")[-1]
        if word in self.words.het or word in self.words.het_whole or word.endswith(_HET_SUFFIXES):
            return "het"
        for het in self.words.het:
            if word.endswith(het) and len(word) - len(het) >= 3:
                return "het"
        return "de"

    def with_article(self, text: str) -> str:
        """A label as a noun phrase with its definite article: 'drempelbedrag' -> 'het drempelbedrag'.

        A label that starts with an article or a capital (a name: 'Protocol Zeer Moeilijk Plaatsbaar') is
        left as it is; plurals take 'de'.
        """
        words = text.split()
        if not words or words[0].lower() in ARTICLES or words[0][:1].isupper() or words[0][:1].isdigit():
            return text
        if self.is_plural(text):
            return f"de {text}"
        return f"{self.gender(head_noun(text))} {text}"

    def agree(self, subject: str, verb: str, plural: bool | None = None) -> str:
        """The verb in the number of its subject: 'de uren' + 'is' -> 'zijn'."""
        if plural is None:
            plural = self.is_plural(subject)
        return _VERBS.get(verb, verb) if plural else verb

    def clause(self, subject: str, verb: str, complement: str = "", tail: str = "",
               plural: bool | None = None) -> Clause:
        """Subject, verb (in the number of the subject), complement and a tail that stays last."""
        verb = self.agree(subject, verb, plural)
        return Clause(_words(subject, verb, complement, tail), _words(subject, complement, verb, tail))
