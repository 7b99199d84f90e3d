"""Source positions and the error type of each pipeline stage."""
from __future__ import annotations

import difflib
import itertools
import os
import stat
from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class Position:
    """A place in a file, 1-based like an editor shows it."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


UNKNOWN_POSITION = Position("<unknown>", 0, 0)


class CatalogueError(Exception):
    """Base of every error a user can cause; always carries a position."""

    stage = "error"

    def __init__(self, message: str, position: Position | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.position = position or UNKNOWN_POSITION
        self.hint = hint

    def __reduce__(self):
        # Every attribute, whatever the subclass's __init__ takes: errors travel back from the
        # processes that check cards in parallel (interpreter.store).
        return _restore, (type(self), dict(self.__dict__))

    def __str__(self) -> str:
        text = f"{self.position}: {self.message}"
        if self.hint:
            text += f"\n    hint: {self.hint}"
        return text


class YamlError(CatalogueError):
    """The file is not well-formed YAML, or uses YAML features we refuse."""

    stage = "yaml"


class SchemaError(CatalogueError):
    """A card, family, calendar or vocabulary file has the wrong structure."""

    stage = "structure"


class RuleSyntaxError(CatalogueError):
    """An expression in a rule does not follow the rule language's grammar."""

    stage = "syntax"


class TypeCheckError(CatalogueError):
    """An expression is grammatical but mixes types, or names what does not exist."""

    stage = "type"


class CaseError(CatalogueError):
    """A case file has an unknown fact, a malformed value or a value of the wrong type."""

    stage = "case"

    def __init__(self, message: str, position: Position | None = None, hint: str | None = None,
                 code: str = "invalid-fact", fact: str | None = None):
        super().__init__(message, position, hint)
        self.code = code  # what kind of problem, for applications (docs/api.md)
        self.fact = fact  # the fact it is about, when it is about one


class EvaluationError(CatalogueError):
    """Evaluation could not complete, e.g. a split whose shares do not add up to 100%."""

    stage = "evaluation"


class LookupProblem(CatalogueError):
    """A product code or edition that the catalogue does not have."""

    stage = "lookup"


class ErrorList(CatalogueError):
    """Several errors found in one pass, so a user can fix them all at once."""

    stage = "errors"

    def __init__(self, errors: list[CatalogueError]):
        self.errors = sorted(errors, key=lambda e: (e.position.file, e.position.line, e.position.column))
        first = self.errors[0]
        super().__init__(first.message, first.position, first.hint)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


# An excerpt is shown only from a regular file of at most this size, and at most this wide around
# the column: an error message must never cost more than the error.
EXCERPT_FILE_LIMIT = 32 * 1024 * 1024
EXCERPT_WIDTH = 100


def source_excerpt(position: Position) -> list[str]:
    """The offending line and a caret under the column, as Lark's get_context() shows them.

    Empty when the position names no readable file (standard input, the command line) or no line.
    """
    line = _source_line(position)
    if line is None:
        return []
    line = line.rstrip("\r\n").expandtabs(1)
    column = max(1, min(position.column, len(line) + 1))
    start = max(0, column - 1 - EXCERPT_WIDTH // 2) if len(line) > EXCERPT_WIDTH else 0
    shown = line[start:start + EXCERPT_WIDTH]
    lead = "…" if start else ""
    tail = "…" if start + EXCERPT_WIDTH < len(line) else ""
    return [f"{lead}{shown}{tail}", " " * (len(lead) + column - 1 - start) + "^"]


def _source_line(position: Position) -> str | None:
    if position.line < 1 or position.file.startswith("<"):
        return None
    try:
        info = os.stat(position.file)
        if not stat.S_ISREG(info.st_mode) or info.st_size > EXCERPT_FILE_LIMIT:
            return None
        with open(position.file, encoding="utf-8", errors="replace", newline="") as handle:
            return next(itertools.islice(handle, position.line - 1, None), None)
    except OSError:
        return None


def _restore(kind: type, state: dict) -> CatalogueError:
    error = kind.__new__(kind)
    Exception.__init__(error, state.get("message"))
    error.__dict__.update(state)
    return error


def raise_all(errors: list[CatalogueError]) -> None:
    """Raise nothing, the one error, or all of them together."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ErrorList(errors)


def raise_once(errors: list[CatalogueError]) -> None:
    """Raise each problem once: a mistake in a family file is met again by every card of the family."""
    seen, unique = set(), []
    for error in errors:
        key = (str(error.position), error.message)
        if key not in seen:
            seen.add(key)
            unique.append(error)
    raise_all(unique)


def did_you_mean(name: str, candidates: Iterable, cutoff: float = 0.6) -> str:
    """"did you mean 'x'?" naming the candidate closest to a misspelt name; "" when none is close enough."""
    close = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=1, cutoff=cutoff)
    return f"did you mean '{close[0]}'?" if close else ""


def aside(text: str) -> str:
    """' (text)' to put after a message, or '' when there is no text."""
    return f" ({text})" if text else ""
