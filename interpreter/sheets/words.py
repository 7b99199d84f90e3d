"""Words and numbers in Dutch: amounts, dates, durations, labels inside a sentence, quoted texts, run-time values."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from .. import types as t
from ..values import DUTCH_UNIT_WORDS


MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
          "oktober", "november", "december")

# The contract's status values (English in JSON, docs/api.md) as a Dutch reader reads them: deadlines
# (an optional one is late or lapsed, never overdue) and payments and their instalments.
STATUS_WORDS = {"open": "open", "met": "gehaald", "overdue": "te laat", "unknown": "onbekend",
                "late": "te laat gebruikt", "lapsed": "niet gebruikt (vervallen)",
                "pending": "nog niet te betalen", "due": "te betalen", "paid": "betaald"}

# singular, plural
UNITS = {unit: words[:2] for unit, words in DUTCH_UNIT_WORDS.items()}

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
    from ..values import Duration, Open  # run-time values; imported here to keep this module light

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


# Stands for a space between the pieces of a joined text; said in words, never printed.
SPACE = "\x00spatie"


def join_pieces(said: list[str]) -> str:
    """'“12XR” gevolgd door een spatie en de code van ...'."""
    text = ""
    for index, item in enumerate(said):
        word = "een spatie" if item == SPACE else item
        if index == 0:
            text = word
        elif said[index - 1] == SPACE and index > 1:
            text += " en " + word
        else:
            text += " gevolgd door " + word
    return text or "“”"


def quoted_text(value: str) -> str:
    """A text in quotation marks; spaces at its edges are said in words, not hidden inside the quotes."""
    core = " ".join(value.split())
    said = ([SPACE] if value[:1].isspace() else []) + ([f"“{core}”"] if core else [])
    if core and value[-1:].isspace():
        said.append(SPACE)
    return join_pieces(said)


