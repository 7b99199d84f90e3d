"""Results as batch rows: the columns of a CSV row, the objects of a JSON Lines row, and writing them."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from decimal import Decimal
from typing import Any, Callable

import orjson

from .results import Result, _add_instalments_and_indications, _date, _money, source_json, to_json, value_json
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


class ResultRows:
    """One CSV row per case, in the product's fixed columns."""

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

    def result(self, row: int, ident: Any, result: Result, as_of, end) -> list[list]:
        cells = [""] * self.width
        cells[0], cells[1], cells[2] = row, ident, result.as_of.isoformat()
        cells[3], cells[4] = result.rules_on.isoformat(), result.edition
        for deadline in result.deadlines:
            at_date, at_status = self.deadlines[deadline.id]
            if deadline.date is not None:
                cells[at_date] = deadline.date.isoformat()
            cells[at_status] = deadline.status
        for payment in result.payments:
            if payment.amount is not None:
                cells[self.amounts[payment.id]] = f"{payment.amount:.2f}"
        for report in result.reports:
            if report.date is not None:
                at = self.reports[report.id]
                cells[at] = f"{cells[at]} {report.date.isoformat()}" if cells[at] else report.date.isoformat()
        for check in result.checks:
            if check.passed is not None:
                cells[self.checks[check.id]] = "true" if check.passed else "false"
        types, values, described = result.value_types, self.values, self.described
        for name, value in result.values.items():
            if isinstance(value, Open):
                continue  # evaluate's JSON has null: the cell stays empty
            type_ = types[name]
            try:
                cell = described[value, id(type_)]
            except KeyError:
                cell = _cell(describe_value(value, type_))
                if len(described) < VALUE_CACHE:
                    described[value, id(type_)] = cell
            except TypeError:  # not hashable: described every time
                cell = _cell(describe_value(value, type_))
            cells[values[name]] = cell
        cells[self.missing_at] = " ".join(result.missing)
        return [cells]

    def error(self, row: int, ident: Any, message: str) -> list:
        cells = [""] * self.width
        cells[0], cells[1], cells[self.error_at] = row, ident, message
        return cells


class SignalRows:
    """With --due-within: one CSV row per open deadline that falls due inside the window."""

    def result(self, row: int, ident: Any, result: Result, as_of: dt.date, end: dt.date) -> list[list]:
        return [[row, ident, result.product, d.id, d.label, d.date.isoformat(), (d.date - as_of).days, d.source, ""]
                for d in _due(result, end)]

    def error(self, row: int, ident: Any, message: str) -> list:
        return [row, ident, "", "", "", "", "", "", message]


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
ENTRY_MEMO_SIZE = 1 << 10  # heads kept per rule


class JsonRows:
    """JSON Lines result rows, byte for byte what json_lines() writes of result_object(), without building
    the result's JSON objects first.

    A row is a million times the same product: its layout, and every entry's id, label and source (the
    bulk of a row's 8 KB), are the same for each case of an edition. They are taken from what
    result_object (so to_json) gives, encoded once, and spliced; only the fields that differ from case to
    case (the VARYING tables below) are encoded per row, most of them looked up among the values seen
    before. Each edition's row is one function, generated from the layout (_Layout). A row is handed on as
    a few pieces: each entry's source as the very bytes kept for the edition (the kernel copies them into
    the file; this process never does), and the short runs between them joined. A change to to_json's
    constant fields flows through; a new per-case field must be added to the tables (tests/test_rows.py
    compares the rows with to_json on generated cases, and fails until it is).
    """

    def __init__(self):
        self._layouts: dict[tuple, _Layout] = {}
        self._rows: dict[tuple, Callable[[int, Any, Result], Spliced]] = {}  # the layouts' row functions
        self._memos: dict[str, _Memo] = {}  # shared by the editions: an encoded date is the same in each

    def result(self, row: int, ident: Any, result: Result, as_of, end) -> list[Spliced]:
        key = (result.product, result.edition, result.title)
        make = self._rows.get(key)
        if make is None:
            layout = self._layouts[key] = _Layout(result, self._memos)
            make = self._rows[key] = layout.row
        return [make(row, ident, result)]


class Spliced(list):
    """A JSON Lines row, its line end included, as the bytes that make it up, in order: joined once per chunk
    of rows, not per row."""


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
# A field that to_json adds to an entry after its source, only where it applies (issue 14): a payment's
# instalments, when it has a schedule. Such an entry is its head, the constant part up to the field (the
# source among it), the field, and the entry's end. (A check's `indicative` is the rule's: constant.)
_ENTRY_TRAILING = {"payments": "instalments"}
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


def _id_json(ident: Any) -> bytes:
    """An id as json_lines writes it: one that orjson refuses (a lone surrogate, an integer beyond 64 bits)
    as json does."""
    try:
        data = _ORJSON(ident, default=_plain)
    except TypeError:  # orjson.JSONEncodeError is one
        data = _ENCODE(ident).encode("utf-8", "backslashreplace")
    return data if data.isascii() else _escape_breaks(data)


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


def _escaped(constant: bytes) -> bytes:
    """Constant text in a template for bytes formatting, which copies the runs between the fields whole."""
    return constant.replace(b"%", b"%%")


def _template(parts: list[bytes]) -> bytes:
    """The constant parts with a %s between each two."""
    return b"%s".join(map(_escaped, parts))


def _compiled(source: str, scope: dict[str, Any], name: str) -> Callable:
    """A function generated from this module's own templates. The names in `source` are this module's and
    to_json's keys (checked to be identifiers where they are written out); text from a card or a case is
    never in it, only in `scope`, as values."""
    exec(compile(source, f"<rows: {name}>", "exec"), scope)  # noqa: S102
    return scope[name]


def _attribute(name: str) -> str:
    assert name.isidentifier() and not name.startswith("_"), name
    return name


def _maker(template: bytes, fields: list, names: list[str], by_key: bool) -> Callable[[Any], bytes]:
    """The head of an entry as one function, written out for the fields of its rule: `template % (...)`
    with each field's memo looked up, or its encoder called. By key, `make(key)` (what fills the memo);
    else `head(item)`, with no key tuple, the way a deadline whose date differs from case to case is made,
    every time. The names are to_json's keys that _ENTRY_VARYING lists, never text from a card."""
    scope: dict[str, Any] = {"template": template}
    code = []
    for index, (field, name) in enumerate(zip(fields, names)):
        source = f"key[{index}]" if by_key else f"item.{_attribute(name)}"
        scope[f"f{index}"] = field
        code.append(f"f{index}[{source}], " if isinstance(field, _Memo) else f"f{index}({source}), ")
    argument = "key" if by_key else "item"
    return _compiled(f"def make({argument}):\n    return template % ({''.join(code)})\n", scope, "make")


def _looker(memo: dict, names: list[str]) -> Callable[[Any], bytes]:
    """`head(item)`: the memo's head for the item's per-case fields, as one function (no attrgetter, no call
    for the key)."""
    key = "".join(f"item.{_attribute(name)}, " for name in names)
    return _compiled(f"def head(item):\n    return memo[({key})]\n", {"memo": memo}, "head")


class _Entries(dict):
    """The heads of one rule's entries, by the tuple of their per-case fields. An entry is its head, from the
    start to the last per-case field, and its tail, the rest: the quoted source, the bulk of an entry's
    kilobyte, the same for every case. Only the head is made per case, and kept here: a check passes or
    fails, so most of its heads repeat. The tail is spliced into the row as it is, so the kernel copies it
    straight into the file and this process never does. A rule whose heads hardly repeat (a deadline's date)
    would fill this with ones never asked for again: when ENTRY_MEMO_SIZE are kept within fewer than twice
    as many rows, the rule turns direct (its heads made every time, this memo dropped)."""

    def __init__(self, template: bytes, fields: list, names: list[str], rows: list[int], turn: Callable):
        super().__init__()
        self.make = _maker(template, fields, names, by_key=True)
        self.direct_head = _maker(template, fields, names, by_key=False)
        self.head = _looker(self, names)
        self.rows, self.since = rows, rows[0]
        self.turn = turn  # makes the rule direct where the row looks it up
        self.direct = False

    def __missing__(self, key: tuple) -> bytes:
        data = self.make(key)
        if len(self) < ENTRY_MEMO_SIZE:
            self[key] = data
            if len(self) == ENTRY_MEMO_SIZE and self.rows[0] - self.since < 2 * ENTRY_MEMO_SIZE:
                self.direct = True
                self.turn(self.direct_head)
                self.clear()
        return data


class _Layout:
    """One edition's row: constant bytes, the per-case fields between them, and the function that makes a row
    of them, generated once (`row`)."""

    def __init__(self, result: Result, memos: dict[str, _Memo]):
        self.memos = memos
        self.product, self.title, self.edition = result.product, result.title, result.edition
        # By kind, each rule's (head(item), the piece after the head, the entry's end[, trailing field]); the
        # rules with a trailing field apart. The _Entries of each, for its memo.
        self.entries: dict[str, dict[str, tuple]] = {kind: {} for kind in ENTRY_KINDS}
        self.trailing: dict[str, dict[str, tuple]] = {kind: {} for kind in ENTRY_KINDS}
        self.heads: list[_Entries] = []
        self.values: dict[Any, tuple] = {}  # (name, value) -> its kept form (below); the value's type is the edition's
        self.last_values: dict[str, tuple] = {}  # name -> the kept form of the last value, by identity
        self.gaps: dict[tuple, bytes] = {}  # the missing facts of the items, as found -> the row's `missing`
        self.rows = [0]  # rows made: whether a rule's heads repeat enough to keep
        self.dates = self._memo("date", _date)
        self.lists = self._memo("list", list)
        empty = Result(result.product, result.title, result.edition, _ANY_DAY, _ANY_DAY)
        parts, names = _split(result_object(0, None, empty, None, None)[0], _ROW_VARYING)
        self.row = self._row_function(parts, names)

    def _memo(self, name: str, convert) -> _Memo:
        memo = self.memos.get(name)
        if memo is None:
            memo = self.memos[name] = _Memo(convert)
        return memo

    # -- the row function

    # A field of the row that is one expression: the % code it takes in the row's template, and the expression.
    _SIMPLE = {"row": (b"%d", "row"), "id": (b"%s", "id_json(ident)"),
               "rules_on": (b"%s", "dates[result.rules_on]"), "as_of": (b"%s", "dates[result.as_of]"),
               "not_applicable": (b"%s", "lists[tuple(result.not_applicable)]")}

    def _row_function(self, parts: list[bytes], names: list[str]) -> Callable[[int, Any, Result], Spliced]:
        """`row(row, ident, result)`, written out for this layout: the row's own fields formatted into the
        constant text around them; each kind of entry a loop, each entry its head (made or looked up) and its
        tail as kept. The row is a list of pieces: the run of short ones since the last tail joined, and the
        tails, so that a chunk is a few pieces a row for the kernel, not a hundred."""
        scope: dict[str, Any] = {
            "Spliced": Spliced, "join": b"".join, "id_json": _id_json, "dates": self.dates, "lists": self.lists,
            "rows": self.rows, "value_data": self._value_data, "last_get": self.last_values.get,
            "gap_memo": self.gaps, "missing_json": self._missing_json, "new_entry": self._new_entry}
        lines = ["def row(row, ident, result):",
                 "    rows[0] += 1",
                 "    out = Spliced()",
                 "    run = []",
                 "    append = run.append",
                 "    gaps = []"]
        # The row's text since the last flush, as a template: the constants (% doubled), a % code per field.
        pending, args = [_escaped(parts[0])], []

        def flush(extra: bytes) -> str:
            name = f"c{len(scope)}"
            scope[name] = b"".join(pending) + _escaped(extra)
            return f"append({name} % ({''.join(arg + ', ' for arg in args)}))" if args else f"append({name})"

        seen = set()
        for name, after in zip(names, parts[1:]):
            if name in self._SIMPLE or name == "missing":
                if name == "missing" and seen >= {*ENTRY_KINDS, "values"}:
                    lines += ["    if gaps:",
                              "        gaps = tuple(gaps)",
                              "        missing = gap_memo.get(gaps) or missing_json(gaps)",
                              "    else:",
                              "        missing = b'[]'"]
                    code, expression = b"%s", "missing"
                else:  # not after every entry and value: the result's own
                    code, expression = self._SIMPLE.get(name, (b"%s", "lists[tuple(result.missing)]"))
                pending.append(code)
                args.append(expression)
            elif name == "values":
                lines += self._values_code(flush(b"{"))
                pending, args = [b"}"], []
            else:
                lines += self._entries_code(name, flush(b"["), flush(b"[]"), scope)
                pending, args = [], []
            seen.add(name)
            pending.append(_escaped(after))
        last = flush(b"\n")
        lines += [f"    {last}",
                  "    out.append(join(run))",
                  "    return out"]
        return _compiled("\n".join(lines) + "\n", scope, "row")

    def _entries_code(self, kind: str, opened: str, empty: str, scope: dict) -> list[str]:
        """The lines that write a kind's entries: a `[`, each entry's head and tail, the last tail's `]`."""
        scope[f"entries_{kind}"], scope[f"trailing_{kind}"] = self.entries[kind], self.trailing[kind]
        trailing = _ENTRY_TRAILING.get(kind)
        lines = [f"    items = result.{_attribute(kind)}",
                 "    if items:",
                 f"        {opened}",
                 f"        get = entries_{kind}.get"]
        if trailing:
            lines += [f"        get_trailing = trailing_{kind}.get",
                      "        for item in items:",
                      f"            trail = item.{_attribute(trailing)}",
                      "            if trail is None:",
                      f"                entry = get(item.id) or new_entry({kind!r}, item, False)",
                      "            else:",
                      f"                entry = get_trailing(item.id) or new_entry({kind!r}, item, True)"]
        else:
            lines += ["        for item in items:",
                      f"            entry = get(item.id) or new_entry({kind!r}, item, False)"]
        lines += ["            gap = item.missing",
                  "            if gap:",
                  "                gaps.append(gap)",
                  "            if run:  # the first head ends the run of short pieces before it",
                  "                append(entry[0](item))",
                  "                out.append(join(run))",
                  "                run.clear()",
                  "            else:",
                  "                out.append(entry[0](item))",
                  "            out.append(entry[1])"]
        if trailing:
            lines += ["            if trail is None:",
                      "                close = entry[2]",
                      "            else:",
                      "                end = entry[3](item) + entry[2]",
                      "                out.append(end + b',')",
                      "                close = end + b']'"]
        else:
            lines += ["            close = entry[2]"]
        lines += ["        out[-1] = close  # the last entry ends the list",
                  "    else:",
                  f"        {empty}"]
        return lines

    @staticmethod
    def _values_code(opened: str) -> list[str]:
        """The lines that write the values, `{` and the `}` left to what follows. Each value's kept form is
        (the value, its '"name":{...}' with a comma before it, its missing facts or None, without the comma)."""
        return ["    values = result.values",
                f"    {opened}",
                "    first = True",
                "    for name, value in values.items():",
                "        kept = last_get(name)",
                "        if kept is None or kept[0] is not value:",
                "            kept = value_data(name, value, result)",
                "        if kept[2]:",
                "            gaps.append(kept[2])",
                "        if first:",
                "            append(kept[3])",
                "            first = False",
                "        else:",
                "            append(kept[1])"]

    # -- what the row function calls on what it has not seen before

    def _value_data(self, name: str, value: Any, result: Result) -> tuple:
        """A value's kept form, from the memo when it has been seen. A parameter is the same object row after
        row: the row function takes that one by identity (hashing it may be a dataclass's __hash__ in Python,
        asked a million times over). An unknown value's JSON depends on its missing facts alone."""
        memo = self.values
        unknown = value.__class__ is Open
        key = (name, _OPEN, value.names) if unknown else (name, value)
        try:
            kept = memo.get(key)
        except TypeError:  # not hashable: encoded every time
            key, kept = None, None
        if kept is None:
            data = b"," + _encoded(name) + b":" + _encoded(self._value_json(name, value, result))
            kept = (value, data, value.names if unknown else None, data[1:])
            if key is not None and len(memo) < MEMO_SIZE:
                memo[key] = kept
        self.last_values[name] = kept
        return kept

    @staticmethod
    def _value_json(name: str, value: Any, result: Result) -> dict:
        """value_json, with `indicative` where to_json adds it (by to_json's own helper)."""
        data = value_json(value, result.value_types[name])
        if result.indicative:
            alone = Result(result.product, result.title, result.edition, _ANY_DAY, _ANY_DAY,
                           indicative=result.indicative)
            _add_instalments_and_indications({"payments": [], "checks": [], "values": {name: data}}, alone)
        return data

    def _missing_json(self, gaps: tuple) -> bytes:
        """The row's `missing` from the missing facts of its items and unknown values, as Result.missing has
        them: every one, once, in order."""
        names: set[str] = set()
        for group in gaps:
            names.update(group)
        data = self.lists[tuple(sorted(names))]
        if len(self.gaps) < MEMO_SIZE:
            self.gaps[gaps] = data
        return data

    def _new_entry(self, kind: str, item, trailing: bool) -> tuple:
        """A rule's entry: what makes its head, and the constant parts after it; from to_json of a result that
        holds only this item."""
        alone = Result(self.product, self.title, self.edition, _ANY_DAY, _ANY_DAY)
        getattr(alone, kind).append(item)
        varying = dict(_ENTRY_VARYING[kind])
        if trailing:
            varying[_ENTRY_TRAILING[kind]] = None
        parts, names = _split(to_json(alone)[kind][0], varying)
        if trailing:  # the head ends before the constant part that the trailing field follows
            assert names[-1] == _ENTRY_TRAILING[kind], names
            parts, names, end = parts[:-1], names[:-1], parts[-1]
        fields = [_UNKEPT.get(varying[name])
                  or self._memo(_SHARED_MEMOS.get(varying[name]) or f"{kind}.{name}", varying[name]) for name in names]
        kept = self.trailing[kind] if trailing else self.entries[kind]

        def turn(head: Callable) -> None:
            kept[item.id] = (head,) + kept[item.id][1:]

        heads = _Entries(_template(parts[:-1]) + (b"%s" if names else b""), fields, names, self.rows, turn)
        self.heads.append(heads)
        if trailing:
            entry = (heads.head, parts[-1], end, self._trailing_json(kind))
        else:
            entry = (heads.head, parts[-1] + b",", parts[-1] + b"]")
        kept[item.id] = entry
        return entry

    def _trailing_json(self, kind: str) -> Callable[[Any], bytes]:
        """What encodes an entry's trailing field as to_json adds it: to_json's own helper, on a result that
        holds only the item (a payment's instalments differ from case to case: encoded every time)."""
        name = _ENTRY_TRAILING[kind]
        alone = Result(self.product, self.title, self.edition, _ANY_DAY, _ANY_DAY)
        items = getattr(alone, kind)

        def encode(item) -> bytes:
            entry: dict[str, Any] = {}
            shell: dict[str, Any] = {"payments": [], "checks": [], "values": {}, kind: [entry]}
            items[:] = [item]
            _add_instalments_and_indications(shell, alone)
            return _encoded(entry[name])

        return encode


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
            out += item  # its line end included
            continue
        try:
            line = _ORJSON(item, default=_plain)
        except TypeError:  # orjson.JSONEncodeError is one
            line = _ENCODE(item).encode("utf-8", "backslashreplace")
        out.append(_escape_breaks(line))
        out.append(b"\n")
    return out


_ORJSON = orjson.dumps
_LINE_BREAKS = (("\u2028".encode(), b"\\u2028"), ("\u2029".encode(), b"\\u2029"), ("\x85".encode(), b"\\u0085"))


def csv_text(rows: list[list]) -> str:
    buffer = io.StringIO()
    # A text cell that a spreadsheet would run as a formula gets a ' in front, as OWASP's "CSV Injection"
    # advises; a plain negative number (-3 days left) stays a number. The writer adds the quotes needed.
    risky, number = _FORMULA_START, _PLAIN_NUMBER.fullmatch
    csv.writer(buffer, lineterminator="\n").writerows(
        [["'" + cell if cell.__class__ is str and cell[:1] in risky and not number(cell) else cell for cell in row]
         for row in rows])
    return buffer.getvalue()


_FORMULA_START = frozenset("=+-@\t\r\n") - {""}
_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
