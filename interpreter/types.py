"""The static types of the rule language and how type names are written in YAML."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Type:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class EnumType(Type):
    members: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"one of {self.name}"


@dataclass(frozen=True)
class SetType(Type):
    enum: EnumType = None

    def __str__(self) -> str:
        return f"set of {self.enum.name}"


@dataclass(frozen=True)
class ListType(Type):
    item: Type = None

    def __str__(self) -> str:
        return f"list of {self.item}"


BOOL = Type("bool")
NUMBER = Type("number")
MONEY = Type("money")
PERCENT = Type("percent")
DATE = Type("date")
DURATION = Type("duration")
TEXT = Type("text")
DATES = ListType("dates", DATE)

SIMPLE_TYPES = {t.name: t for t in (BOOL, NUMBER, MONEY, PERCENT, DATE, DURATION, TEXT)}
ORDERED = (NUMBER, MONEY, PERCENT, DATE)

# Words a reader understands, used in type error messages.
DESCRIPTIONS = {
    "bool": "a yes/no value", "number": "a number", "money": "an amount of money",
    "percent": "a percentage", "date": "a date", "duration": "a duration", "text": "a text",
    "dates": "a list of dates",
}


def describe(type_: Type) -> str:
    if isinstance(type_, EnumType):
        return f"a {type_.name} ({', '.join(type_.members[:5])}{', ...' if len(type_.members) > 5 else ''})"
    if isinstance(type_, SetType):
        return f"a set of {type_.enum.name}"
    return DESCRIPTIONS.get(type_.name, type_.name)


def parse_type(text: str, enums: dict[str, EnumType]) -> Type | None:
    """A type as written in facts.yaml: `date`, `money`, `district`, `set of phase`. None if unknown."""
    words = text.split()
    if len(words) == 3 and words[:2] == ["set", "of"]:
        enum = enums.get(words[2])
        return SetType(f"set of {enum.name}", enum) if enum else None
    if len(words) == 1:
        return SIMPLE_TYPES.get(words[0]) or enums.get(words[0])
    return None


def type_names(enums: dict[str, EnumType]) -> list[str]:
    return sorted(SIMPLE_TYPES) + sorted(enums) + [f"set of {e}" for e in sorted(enums)]
