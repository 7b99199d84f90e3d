"""Results as batch rows: the columns of a CSV row, the objects of a JSON Lines row, and writing them."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal
from typing import Any

import orjson

from .results import Result, source_json, to_json
from .values import Open, describe_value

VALUE_CACHE = 4096  # value cells kept per process; values that differ from case to case are not worth more
RESULT_HEAD = ["row", "id", "as_of", "rules_on", "edition"]
RESULT_TAIL = ["missing", "error"]
SIGNAL_COLUMNS = ["row", "id", "product", "deadline", "label", "date", "days_left", "source", "error"]

def _json_default(value: Any) -> Any:
    """An id passed through from JSON Lines: a number with a fraction was read as a Decimal. It is written
    as a number when a float holds it exactly, else as the text of its exact value (never Infinity)."""
    if isinstance(value, Decimal):
        if value.is_finite() and value.adjusted() < 300:
            number = float(value)
            if Decimal(repr(number)) == value:
                return number
        return str(value)
    return str(value)


# what orjson refuses (a lone surrogate, an integer beyond 64 bits) is written by the json module
_JSON_TEXT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_json_default).encode


# -- results into rows ---------------------------------------------------------------------------

def rule_ids(editions) -> dict[str, list[str]]:
    """The rule ids of a product by kind (parameters count as values), over every edition, in card order."""
    ids: dict[str, list[str]] = {"deadlines": [], "payments": [], "reports": [], "checks": [], "values": []}
    for product in editions:
        for rule in product.rules.values():
            kind = ids["values" if rule.section == "parameters" else rule.section]
            if rule.id not in kind:
                kind.append(rule.id)
    return ids


def result_columns(ids: dict[str, list[str]]) -> list[str]:
    """The CSV columns of a product: fixed by its rules in every edition, so that every row fits them."""
    columns = list(RESULT_HEAD)
    for rule_id in ids["deadlines"]:
        columns += [f"{rule_id}.date", f"{rule_id}.status"]
    columns += [f"{rule_id}.amount" for rule_id in ids["payments"]]
    columns += [f"{rule_id}.dates" for rule_id in ids["reports"]]
    columns += [f"{rule_id}.passed" for rule_id in ids["checks"]]
    columns += [_value_column(rule_id) for rule_id in ids["values"]]
    return columns + RESULT_TAIL


def _value_column(rule_id: str) -> str:
    """A value's column is its id, unless that is the name of a column every row has."""
    return f"{rule_id}.value" if rule_id in RESULT_HEAD or rule_id in RESULT_TAIL else rule_id


def _cell(value: Any) -> Any:
    """A described value (as evaluate's JSON has it) as one CSV cell."""
    if value is None:
        return ""
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, list):
        return " ".join(map(str, value))
    return value


def formula_safe(cell: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, with a ' in front, as OWASP's "CSV Injection"
    advises; a plain negative number (-3 days left) stays a number. Guarding twice changes nothing."""
    if cell.__class__ is str and cell[:1] in _FORMULA_START and not _PLAIN_NUMBER.fullmatch(cell):
        return "'" + cell
    return cell


class ResultRows:
    """One CSV row per case, in the product's fixed columns.

    Its rows are guarded (csv_text's `guarded`): only the cells that can hold text from a case or a card
    (the id, the edition, values, the missing facts and an error) go through formula_safe; the others
    are dates, statuses, amounts and true/false, which never start like a formula.
    """

    def __init__(self, ids: dict[str, list[str]]):
        index = {name: i for i, name in enumerate(result_columns(ids))}
        self.width = len(index)
        self.error_at = index["error"]
        self.missing_at = index["missing"]
        self.deadlines = {rule_id: (index[f"{rule_id}.date"], index[f"{rule_id}.status"])
                          for rule_id in ids["deadlines"]}
        self.amounts = {rule_id: index[f"{rule_id}.amount"] for rule_id in ids["payments"]}
        self.reports = {rule_id: index[f"{rule_id}.dates"] for rule_id in ids["reports"]}
        self.checks = {rule_id: index[f"{rule_id}.passed"] for rule_id in ids["checks"]}
        self.values = {rule_id: index[_value_column(rule_id)] for rule_id in ids["values"]}
        # A value's cell is a pure function of the value and its type, and most values are parameters
        # that repeat row after row: cells kept by (value, id of the type; the catalogue keeps types alive).
        self.described: dict[tuple, Any] = {}
        self._last_day: tuple = (None, "")
        self._last_edition: tuple = (None, "")

    def result(self, row: int, ident: Any, result: Result, as_of, end) -> list[list]:
        cells = [""] * self.width
        cells[0], cells[1], cells[2] = row, formula_safe(ident), self._day(result.as_of)
        cells[3], cells[4] = result.rules_on.isoformat(), self._edition(result.edition)
        deadlines = self.deadlines
        for deadline in result.deadlines:
            at_date, at_status = deadlines[deadline.id]
            if deadline.date is not None:
                cells[at_date] = deadline.date.isoformat()
            cells[at_status] = deadline.status
        amounts = self.amounts
        for payment in result.payments:
            if payment.amount is not None:
                cells[amounts[payment.id]] = f"{payment.amount:.2f}"
        for report in result.reports:
            if report.date is not None:
                at = self.reports[report.id]
                cells[at] = f"{cells[at]} {report.date.isoformat()}" if cells[at] else report.date.isoformat()
        checks = self.checks
        for check in result.checks:
            if check.passed is not None:
                cells[checks[check.id]] = "true" if check.passed else "false"
        types, values, described = result.value_types, self.values, self.described
        for name, value in result.values.items():
            if value.__class__ is Open:  # Open has no subclasses
                continue  # evaluate's JSON has null: the cell stays empty
            type_ = types[name]
            try:
                cell = described[value, id(type_)]
            except KeyError:
                cell = formula_safe(_cell(describe_value(value, type_)))
                if len(described) < VALUE_CACHE:
                    described[value, id(type_)] = cell
            except TypeError:  # not hashable: described every time
                cell = formula_safe(_cell(describe_value(value, type_)))
            cells[values[name]] = cell
        cells[self.missing_at] = formula_safe(" ".join(result.missing))
        return [cells]

    def error(self, row: int, ident: Any, message: str) -> list:
        cells = [""] * self.width
        cells[0], cells[1], cells[self.error_at] = row, formula_safe(ident), formula_safe(message)
        return cells

    # A run judges every case on one as_of and most under one edition: their cells are made once for each.
    def _day(self, day: dt.date) -> str:
        if day is not self._last_day[0]:
            self._last_day = (day, day.isoformat())
        return self._last_day[1]

    def _edition(self, edition: str) -> str:
        if edition is not self._last_edition[0]:
            self._last_edition = (edition, formula_safe(edition))
        return self._last_edition[1]


class SignalRows:
    """With --due-within: one CSV row per open deadline that falls due inside the window (guarded rows,
    as ResultRows makes them: the cells of text go through formula_safe)."""

    def result(self, row: int, ident: Any, result: Result, as_of: dt.date, end: dt.date) -> list[list]:
        safe = formula_safe
        return [[row, safe(ident), safe(result.product), safe(d.id), safe(d.label), d.date.isoformat(),
                 (d.date - as_of).days, safe(d.source), ""]
                for d in _due(result, end)]

    def error(self, row: int, ident: Any, message: str) -> list:
        return [row, formula_safe(ident), "", "", "", "", "", "", formula_safe(message)]


def _due(result: Result, end: dt.date) -> list:
    """The deadlines still open (so not before as_of) that fall due by `end`, soonest first."""
    due = [d for d in result.deadlines if d.status == "open" and d.date is not None and d.date <= end]
    due.sort(key=lambda d: d.date)  # stable: deadlines due the same day keep the card's order
    return due


def result_object(row: int, ident: Any, result: Result, as_of, end) -> list[dict]:
    data = to_json(result)
    del data["receipt"]  # once for the run, in the summary: not a million times over
    return [{"row": row, "id": ident, **data}]


# A row made by JsonRows: a tuple of the bytes that make it up, its line end included, in order (a tuple,
# not a list: made in one step, and the garbage collector stops looking at it once it has seen it holds
# only bytes). Joined once per chunk of rows, not per row.
Spliced = tuple


def signal_objects(row: int, ident: Any, result: Result, as_of: dt.date, end: dt.date) -> list[dict]:
    return [{"row": row, "id": ident, "product": result.product, "deadline": d.id, "label": d.label,
             "date": d.date.isoformat(), "days_left": (d.date - as_of).days,
             "source": source_json(d.citation)}
            for d in _due(result, end)]


def json_lines(items: list) -> bytes:
    """One JSON object per line, as UTF-8; a row made by JsonRows (a tuple of bytes, its line end included)
    is written as it is.

    orjson writes a row several times faster than json (a JSON Lines run is mostly encoding); a row
    it refuses (a lone surrogate in an id, an integer beyond 64 bits) is written by json instead,
    a lone surrogate as its escape, which JSON reads back as the same string. JSON lets U+2028,
    U+2029 and U+0085 stand in a string as they are, but many readers split lines at them: those
    are escaped (they can only occur inside strings)."""
    return b"".join(json_line_parts(items))


def json_line_parts(items: list) -> list[bytes]:
    """json_lines, as the list of bytes that make it up."""
    out: list[bytes] = []
    for item in items:
        if item.__class__ is Spliced:
            out += item  # its line end included
            continue
        out.append(json_bytes(item))
        out.append(b"\n")
    return out


def json_bytes(value: Any) -> bytes:
    """A JSON value as json_lines writes it: by orjson, or by json where orjson refuses it; line separators
    escaped. JsonRows encodes every piece of its rows with it too, so that they are the same bytes."""
    try:
        data = _ORJSON(value, default=_json_default)
    except TypeError:  # orjson.JSONEncodeError is one
        data = _JSON_TEXT(value).encode("utf-8", "backslashreplace")
    return escape_breaks(data)


_ORJSON = orjson.dumps
_LINE_BREAKS = (("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"), ("\x85".encode(), b"\\u0085"))


def escape_breaks(data: bytes) -> bytes:
    if data.isascii():
        return data
    for raw, escaped in _LINE_BREAKS:
        if raw in data:
            data = data.replace(raw, escaped)
    return data


def csv_text(rows: list[list], guarded: bool = False) -> str:
    """The rows as CSV, every cell through formula_safe; `guarded` rows had theirs guarded when they were
    made (ResultRows, SignalRows), which spares looking at every cell of a million rows again."""
    buffer = io.StringIO()
    if not guarded:
        risky, number = _FORMULA_START, _PLAIN_NUMBER.fullmatch  # formula_safe, inline: no call per cell
        rows = [["'" + cell if cell.__class__ is str and cell[:1] in risky and not number(cell) else cell
                 for cell in row] for row in rows]
    csv.writer(buffer, lineterminator="\n").writerows(rows)  # the writer adds the quotes needed
    return buffer.getvalue()


_FORMULA_START = frozenset("=+-@\t\r\n") - {""}
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
