"""Results as batch rows: the columns of a CSV row, the objects of a JSON Lines row, and writing them."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal
from functools import partial
from operator import attrgetter
from typing import Any, Callable

import orjson

from .results import Result, _date, _money, source_json, to_json, value_json
from .values import Open, describe_value, format_percent

VALUE_CACHE = 4096  # value cells kept per process; values that differ from case to case are not worth more
RESULT_HEAD = ["row", "id", "as_of", "rules_on", "edition"]
RESULT_TAIL = ["missing", "error"]
SIGNAL_COLUMNS = ["row", "id", "product", "deadline", "label", "date", "days_left", "source", "error"]

def _plain(value: Any) -> Any:
    """An id passed through from JSON Lines: a number with a fraction was read as a Decimal. It is written
    as a number when a float holds it exactly, else as the text of its exact value (never Infinity)."""
    if isinstance(value, Decimal):
        if value.is_finite() and value.adjusted() < 300:
            number = float(value)
            if Decimal(repr(number)) == value:
                return number
        return str(value)
    return str(value)


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_plain).encode


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


# -- results into JSON Lines rows, spliced from bytes -------------------------------------------------

MEMO_SIZE = 1 << 14  # encoded fields kept per field: every date of decades, the usual amounts and lists
ENTRY_MEMO_SIZE = 1 << 10  # whole entries kept per rule (a kilobyte each, most of it the quoted source)


class JsonRows:
    """JSON Lines result rows, byte for byte what json_lines() writes of result_object(), without building
    the result's JSON objects first.

    A row is a million times the same product: its layout, and every entry's id, label and source (the
    bulk of a row's 8 KB), are the same for each case of an edition. They are taken from what
    result_object (so to_json) gives for the first result that has them, encoded once, and spliced; only
    the fields that differ from case to case (the VARYING tables below) are encoded per row, most of them
    looked up among the values seen before. A row is handed on as a few pieces: each entry's source as the
    very bytes kept for the edition (the kernel copies them into the file; this process never does), and the
    short runs between them joined. A change to to_json's constant fields flows through; a new
    per-case field must be added to the tables (tests/test_rows.py compares the rows with to_json on
    generated cases, and fails until it is).
    """

    def __init__(self):
        self._layouts: dict[tuple, _Layout] = {}
        self._memos: dict[str, _Memo] = {}  # shared by the editions: an encoded date is the same in each

    def result(self, row: int, ident: Any, result: Result, as_of, end) -> list[Spliced] | list[dict]:
        if not _spliceable(result):
            return result_object(row, ident, result, as_of, end)
        key = (result.product, result.edition, result.title)
        layout = self._layouts.get(key)
        if layout is None:
            layout = self._layouts[key] = _Layout(result, self._memos)
        return [layout.row(row, ident, result)]


def _spliceable(result: Result) -> bool:
    """Whether a result has only the fields the layouts know. to_json adds a payment's instalments (a
    schedule) and a value's `indicative` (a 'circa' value) only where they apply: such a row is encoded
    whole, as result_object has it."""
    if result.indicative:
        return False
    for payment in result.payments:  # a loop, not all() over a generator: asked once a row
        if payment.instalments is not None:
            return False
    return True


class Spliced(list):
    """A JSON Lines row as the bytes that make it up, in order: joined once per chunk of rows, not per row."""


# The per-case fields of a row and of its entries, by key in to_json's objects, with what turns the
# result's attribute of that name into the JSON value (to_json's own helpers; None: the value as it is).
# Everything else in a row is the same for every case of an edition.
_ROW_VARYING = ("row", "id", "rules_on", "as_of", "deadlines", "payments", "reports", "checks", "values", "missing",
                "not_applicable")
_ENTRY_VARYING: dict[str, dict[str, Any]] = {
    "deadlines": {"date": _date, "status": None, "missing": list, "done_on": _date},
    "payments": {"status": None, "share": lambda share: None if share is None else format_percent(share),
                 "amount": _money, "date": _date, "missing": list},
    "reports": {"date": _date, "sequence": None, "missing": list},
    "checks": {"passed": None, "message": None, "missing": list},
}
ENTRY_KINDS = tuple(_ENTRY_VARYING)
# Fields converted alike share one memo: a day is encoded once, whether it is a deadline's date or a
# payment's. (Not the fields taken as they are: in a dict, True and 1 are one key.)
_SHARED_MEMOS = {_date: "date", list: "list"}


def _encoded(value: Any) -> bytes:
    """A JSON value as bytes in the row, with the line separators escaped (see json_lines)."""
    return _escape_breaks(_ORJSON(value, default=_plain))


def _escape_breaks(data: bytes) -> bytes:
    if data.isascii():
        return data
    for raw, escaped in _LINE_BREAKS:
        if raw in data:
            data = data.replace(raw, escaped)
    return data


class _Memo(dict):
    """Values of one field, encoded on first use: dates, statuses, lists of missing facts repeat row after row.
    Values that rarely repeat are encoded every time once MEMO_SIZE are kept."""

    def __init__(self, convert: Callable[[Any], Any] | None):
        super().__init__()
        self.convert = convert

    def __missing__(self, raw: Any) -> bytes:
        data = _encoded(raw if self.convert is None else self.convert(raw))
        if len(self) < MEMO_SIZE:
            self[raw] = data
        return data


def _money_json(amount: Any) -> bytes:
    """_encoded(_money(amount)), the usual amount (two decimal places) the quick way: its str() is then its
    .2f. Not kept in a memo: amounts hardly repeat, and hashing a new Decimal costs more than this."""
    if amount.__class__ is Decimal:
        text = str(amount)
        if text[-3:-2] == ".":  # plain notation with two places: an exponent would end the text
            return b'"%s"' % text.encode("ascii")
    return _encoded(_money(amount))


# Fields encoded every time, by the to_json helper whose output the encoder gives, bytes for bytes
# (tests/test_rows.py compares them); every other field is looked up in a _Memo.
_UNKEPT: dict[Any, Callable[[Any], bytes]] = {_money: _money_json}


_OPEN = object()  # in a value's memo key: an unknown value, by its missing facts
_ANY_DAY = dt.date(2000, 1, 1)  # in a result made only to read the constant parts off: never in a row


def _split(data: dict, varying) -> tuple[list[bytes], list[str]]:
    """A JSON object as the encoded text around its varying fields: parts[0], field 0, parts[1], ...,
    parts[-1], with the names of those fields."""
    parts, names, text = [], [], b"{"
    for index, (key, value) in enumerate(data.items()):
        text += (b"," if index else b"") + _encoded(key) + b":"
        if key in varying:
            parts.append(text)
            names.append(key)
            text = b""
        else:
            text += _encoded(value)
    parts.append(text + b"}")
    return parts, names


class _Entries(dict):
    """The entries of one rule, by the tuple of their per-case fields. An entry is its head, from the start to
    the last per-case field, and its tail, the rest: the quoted source, the bulk of an entry's kilobyte, the
    same for every case. Only the head is made per case, and kept here: a check passes or fails, so most of
    its heads repeat. The tail is spliced into the row as it is, so the kernel copies it straight into the
    file and this process never does. A rule whose heads hardly repeat (a deadline's date) would fill this
    with ones never asked for again: when ENTRY_MEMO_SIZE are kept and most lookups missed, it turns
    `direct` (heads made every time, the memo dropped)."""

    def __init__(self, parts: list[bytes], fields: list, names: list[str]):
        super().__init__()
        # The constant parts around a %s per field: bytes formatting copies the runs between them whole.
        template = b"%s".join(part.replace(b"%", b"%%") for part in parts[:-1]) + (b"%s" if fields else b"")
        self.tail = parts[-1]
        self.comma, self.close = self.tail + b",", self.tail + b"]"  # as the entry is followed: by one more, or not
        self.make = _maker(template, fields, names, by_key=True)
        self.head = _maker(template, fields, names, by_key=False)
        self.direct = False
        self.asked = 0  # lookups while the memo fills, counted by the caller

    def __missing__(self, key: tuple) -> bytes:
        data = self.make(key)
        if len(self) < ENTRY_MEMO_SIZE:
            self[key] = data
            if len(self) == ENTRY_MEMO_SIZE and self.asked < 2 * ENTRY_MEMO_SIZE:  # every other lookup missed
                self.direct = True
                self.clear()
        return data


def _maker(template: bytes, fields: list, names: list[str], by_key: bool) -> Callable[[Any], bytes]:
    """The head of an entry as one function, written out for the fields of its rule: `template % (...)`
    with each field's memo looked up, or its encoder called. By key, `make(key)` (what fills the memo);
    else `head(item)`, with no key tuple, the way a deadline whose date differs from case to case is made,
    every time. The names are to_json's keys that _ENTRY_VARYING lists, never text from a card."""
    scope: dict[str, Any] = {"template": template}
    code = []
    for index, (field, name) in enumerate(zip(fields, names)):
        assert name.isidentifier(), name
        source = f"key[{index}]" if by_key else f"item.{name}"
        scope[f"f{index}"] = field
        code.append(f"f{index}[{source}], " if isinstance(field, _Memo) else f"f{index}({source}), ")
    return eval(f"lambda {'key' if by_key else 'item'}: template % ({''.join(code)})", scope)  # noqa: S307


def _fields(names: list[str]) -> Callable[[Any], tuple]:
    """What picks the per-case fields off an entry, as a tuple."""
    if len(names) == 1:
        name = names[0]
        return lambda item: (getattr(item, name),)
    return attrgetter(*names)


class _Layout:
    """One edition's row: constant bytes, and a function for each per-case field between them."""

    def __init__(self, result: Result, memos: dict[str, _Memo]):
        self.memos = memos
        self.product, self.title, self.edition = result.product, result.title, result.edition
        self.entries: dict[str, dict[str, tuple]] = {kind: {} for kind in ENTRY_KINDS}
        self.values: dict[Any, bytes] = {}  # (name, value) -> '"name":{...}'; the value's type is the edition's
        self.last_values: dict[str, tuple[Any, bytes]] = {}  # name -> the last hashable value and its bytes
        self.dates = self._memo("date", _date)
        self.lists = self._memo("list", list)
        empty = Result(result.product, result.title, result.edition, _ANY_DAY, _ANY_DAY)
        self.parts, names = _split(result_object(0, None, empty, None, None)[0], _ROW_VARYING)
        self.fill = [partial(self._entries, name) if name in ENTRY_KINDS else getattr(self, "_" + name)
                     for name in names]

    def _memo(self, name: str, convert) -> _Memo:
        memo = self.memos.get(name)
        if memo is None:
            memo = self.memos[name] = _Memo(convert)
        return memo

    def row(self, row: int, ident: Any, result: Result) -> "Spliced":
        """The row's bytes: the short pieces run together, each entry's tail (its quoted source) apart, as it
        is kept. A chunk of rows goes to the kernel as one list of pieces (os.pwritev), and a piece costs
        there and here about what copying a few hundred bytes does: short pieces are joined, long ones not."""
        out, run = Spliced(), []
        append = run.append
        for const, fill in zip(self.parts, self.fill):
            append(const)
            fill(out, run, row, ident, result)
        append(self.parts[-1])
        out.append(b"".join(run))
        return out

    # -- the row's own fields

    def _row(self, out, run, row, ident, result) -> None:
        run.append(b"%d" % row)

    def _id(self, out, run, row, ident, result) -> None:
        try:
            run.append(_encoded(ident))
        except TypeError:  # orjson refuses it (a lone surrogate, an integer beyond 64 bits): as json_lines does
            run.append(_escape_breaks(_ENCODE(ident).encode("utf-8", "backslashreplace")))

    def _rules_on(self, out, run, row, ident, result) -> None:
        run.append(self.dates[result.rules_on])

    def _as_of(self, out, run, row, ident, result) -> None:
        run.append(self.dates[result.as_of])

    def _missing(self, out, run, row, ident, result) -> None:
        run.append(self.lists[tuple(result.missing)])

    def _not_applicable(self, out, run, row, ident, result) -> None:
        run.append(self.lists[tuple(result.not_applicable)])

    def _values(self, out, run, row, ident, result) -> None:
        if not result.values:
            run.append(b"{}")
            return
        last, types = self.last_values, result.value_types
        append = run.append
        separator = b"{"
        for name, value in result.values.items():
            kept = last.get(name)
            if kept is not None and kept[0] is value:
                data = kept[1]
            else:
                data = self._value_data(name, value, types[name])
            append(separator)
            append(data)
            separator = b","
        append(b"}")

    def _value_data(self, name: str, value: Any, type_) -> bytes:
        """A value's '"name":{...}', from the memo when it has been seen. A parameter is the same object row
        after row: that one is kept apart by identity (hashing it may be a dataclass's __hash__ in Python,
        asked a million times over). An unknown value's JSON depends on its missing facts alone."""
        memo = self.values
        key = (name, value) if value.__class__ is not Open else (name, _OPEN, value.names)
        try:
            data = memo.get(key)
        except TypeError:  # not hashable: encoded every time
            return self._value(name, value, type_)
        if data is None:
            data = self._value(name, value, type_)
            if len(memo) < MEMO_SIZE:
                memo[key] = data
        self.last_values[name] = (value, data)
        return data

    @staticmethod
    def _value(name: str, value: Any, type_) -> bytes:
        return _encoded(name) + b":" + _encoded(value_json(value, type_))

    # -- the entries

    def _entries(self, kind: str, out, run, row, ident, result) -> None:
        items = getattr(result, kind)
        if not items:
            run.append(b"[]")
            return
        layouts = self.entries[kind]
        run.append(b"[")
        last = len(items) - 1
        for index, item in enumerate(items):
            layout = layouts.get(item.id)
            if layout is None:
                layout = layouts[item.id] = self._entry_layout(kind, item)
            entries, key = layout
            if entries.direct:
                head = entries.head(item)
            else:
                entries.asked += 1
                head = entries[key(item)]
            if index:  # the tail before it ended with its comma
                out.append(head)
            else:  # the first head ends the run of short pieces before it
                run.append(head)
                out.append(b"".join(run))
                run.clear()
            out.append(entries.close if index == last else entries.comma)

    def _entry_layout(self, kind: str, item) -> tuple[_Entries, Callable]:
        """A rule's entries and what picks their per-case fields off an item; the constant parts from
        to_json of a result that holds only this item."""
        alone = Result(self.product, self.title, self.edition, _ANY_DAY, _ANY_DAY)
        getattr(alone, kind).append(item)
        varying = _ENTRY_VARYING[kind]
        parts, names = _split(to_json(alone)[kind][0], varying)
        fields = [_UNKEPT.get(varying[name])
                  or self._memo(_SHARED_MEMOS.get(varying[name]) or f"{kind}.{name}", varying[name]) for name in names]
        return _Entries(parts, fields, names), _fields(names)


def signal_objects(row: int, ident: Any, result: Result, as_of: dt.date, end: dt.date) -> list[dict]:
    return [{"row": row, "id": ident, "product": result.product, "deadline": d.id, "label": d.label,
             "date": d.date.isoformat(), "days_left": (d.date - as_of).days,
             "source": source_json(d.citation)}
            for d in _due(result, end)]


def json_lines(items: list) -> bytes:
    """One JSON object per line, as UTF-8; a row made by JsonRows is written as it is.

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
            out += item
        else:
            try:
                line = _ORJSON(item, default=_plain)
            except TypeError:  # orjson.JSONEncodeError is one
                line = _ENCODE(item).encode("utf-8", "backslashreplace")
            out.append(_escape_breaks(line))
        out.append(b"\n")
    return out


_ORJSON = orjson.dumps
_LINE_BREAKS = (("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"), ("\x85".encode(), b"\\u0085"))


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
