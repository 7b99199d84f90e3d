"""JSON Lines result rows spliced from bytes: what json_lines writes of result_object, without building it."""
from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from functools import partial
from typing import Any, Callable

from .results import (Result, add_instalments_and_indications, date_json, money_json, share_json, to_json,
                      value_json)
from .rows import json_bytes, result_object
from .values import Open, describe_value

MEMO_SIZE = 1 << 14  # encoded fields kept per field: every date of decades, the usual amounts and lists
ENTRY_MEMO_SIZE = 1 << 10  # heads kept per rule
LEARN_ROWS = 32  # rows an edition's layout makes the general way before it writes a row function for their shape
RELEARNS = 8  # times a layout may learn a new shape when rows stop having the one it has
VALUE_PLANS = 64  # sets of values (some apply only to some cases) an edition writes a function for
SAME_OBJECTS = 64  # objects a value is kept by (beside its last one): a lookup table's few, not a case's many
VALUE_TRIES = 256  # a value's lookups among those seen before: when most missed, it is encoded every time


class JsonRows:
    """JSON Lines result rows, byte for byte what json_lines() writes of result_object(), without building
    the result's JSON objects first.

    A row is a million times the same product: its layout, and every entry's id, label and source (the
    bulk of a row's 8 KB), are the same for each case of an edition. They are taken from what
    result_object (so to_json) gives, encoded once, and spliced; only the fields that differ from case to
    case (the VARYING tables below) are encoded per row, most of them looked up among the values seen
    before. Each edition's row is made by a function generated for it (_Layout). A row is handed on as a
    tuple of a few pieces (a Spliced row): each entry's source as the very bytes kept for the edition (the
    kernel copies them into the file; this process never does), and the short runs between them. A change
    to to_json's constant fields flows through; a new per-case field must be added to the tables
    (tests/test_jsonrows.py compares the rows with to_json on generated cases, and fails until it is).
    """

    def __init__(self):
        self._layouts: dict[tuple, _Layout] = {}
        self._rows: dict[tuple, Callable[[int, Any, Result], tuple]] = {}  # each layout's row function, as it is now
        self._memos: dict[str, _Memo] = {}  # shared by the editions: an encoded date is the same in each

    def result(self, row: int, ident: Any, result: Result, as_of, end) -> tuple[tuple[bytes, ...]]:
        make = self._rows.get((result.product, result.edition, result.title))
        if make is None:
            key = (result.product, result.edition, result.title)
            self._layouts[key] = _Layout(result, self._memos, partial(self._rows.__setitem__, key))
            make = self._rows[key]
        return (make(row, ident, result),)


# The per-case fields of a row and of its entries, by key in to_json's objects, with what turns the
# result's attribute of that name into the JSON value (to_json's own helpers; None: the value as it is).
# Everything else in a row is the same for every case of an edition.
_ROW_VARYING = ("row", "id", "rules_on", "as_of", "deadlines", "payments", "reports", "checks", "values", "missing",
                "not_applicable")
_ENTRY_VARYING: dict[str, dict[str, Any]] = {
    "deadlines": {"date": date_json, "status": None, "missing": list, "done_on": date_json},
    "payments": {"status": None, "share": share_json,
                 "amount": money_json, "date": date_json, "missing": list},
    "reports": {"date": date_json, "sequence": None, "missing": list},
    "checks": {"passed": None, "message": None, "missing": list},
}
ENTRY_KINDS = tuple(_ENTRY_VARYING)
# A field that to_json adds to an entry after its source, only where it applies (issue 14): a payment's
# instalments, when it has a schedule. Such an entry is its head, the constant part up to the field (the
# source among it), the field, and the entry's end. (A check's `indicative` is the rule's: constant.)
_ENTRY_TRAILING = {"payments": "instalments"}
# Fields converted alike share one memo: a day is encoded once, whether it is a deadline's date or a
# payment's. (Not the fields taken as they are: in a dict, True and 1 are one key.)
_SHARED_MEMOS = {date_json: "date", list: "list"}


class _Memo(dict):
    """Values of one field, encoded on first use: dates, statuses, lists of missing facts repeat row after row.
    Values that rarely repeat are encoded every time once MEMO_SIZE are kept."""

    def __init__(self, convert: Callable[[Any], Any] | None):
        super().__init__()
        self.convert = convert

    def __missing__(self, raw: Any) -> bytes:
        data = json_bytes(raw if self.convert is None else self.convert(raw))
        if len(self) < MEMO_SIZE:
            self[raw] = data
        return data


def _money_bytes(amount: Any) -> bytes:
    """json_bytes(money_json(amount)), the usual amount (two decimal places) the quick way: its str() is then its
    .2f. Not kept in a memo: amounts hardly repeat, and hashing a new Decimal costs more than this."""
    if amount.__class__ is Decimal:
        text = str(amount)
        if text[-3:-2] == ".":  # plain notation with two places: an exponent would end the text
            return b'"%s"' % text.encode("ascii")
    return json_bytes(money_json(amount))


# Fields encoded every time, by the to_json helper whose output the encoder gives, bytes for bytes
# (tests/test_jsonrows.py compares them); every other field is looked up in a _Memo.
_UNKEPT: dict[Any, Callable[[Any], bytes]] = {money_json: _money_bytes}


_OPEN = object()  # in a value's memo key: an unknown value, by its missing facts
_ANY_DAY = dt.date(2000, 1, 1)  # in a result made only to read the constant parts off: never in a row


def _split(data: dict, varying) -> tuple[list[bytes], list[str]]:
    """A JSON object as the encoded text around its varying fields: parts[0], field 0, parts[1], ...,
    parts[-1], with the names of those fields."""
    parts, names, text = [], [], b"{"
    for index, (key, value) in enumerate(data.items()):
        text += (b"," if index else b"") + json_bytes(key) + b":"
        if key in varying:
            parts.append(text)
            names.append(key)
            text = b""
        else:
            text += json_bytes(value)
    parts.append(text + b"}")
    return parts, names


def _escaped(constant: bytes) -> bytes:
    """Constant text in a template for bytes formatting, which copies the runs between the fields whole."""
    return constant.replace(b"%", b"%%")


def _compiled(source: str, scope: dict[str, Any], name: str) -> Callable:
    """A function generated from this module's own templates. The names in `source` are this module's and
    to_json's keys (checked to be identifiers where they are written out); text from a card or a case is
    never in it, only in `scope`, as values."""
    exec(compile(source, f"<jsonrows: {name}>", "exec"), scope)  # noqa: S102
    return scope[name]


def _attribute(name: str) -> str:
    # Only this module's own field names reach here; checked anyway (not an assert: `python -O` drops those),
    # so that generated code can never hold anything but an identifier.
    if not name.isidentifier() or name.startswith("_"):
        raise ValueError(f"not a field name for generated code: {name!r}")
    return name


class _Rule:
    """The entries of one rule (with or without its trailing field): the head's constant parts and per-case
    fields, the heads kept, and the pieces that follow a head."""

    __slots__ = ("kind", "id", "trailing", "parts", "fields", "names", "heads", "comma", "close", "tail", "end",
                 "trail")

    def __init__(self, kind: str, ident: str, trailing: bool):
        self.kind, self.id, self.trailing = kind, ident, trailing

    def head_template(self) -> bytes:
        """The head as a template: its constant parts with a %s for each per-case field."""
        return b"%s".join(map(_escaped, self.parts)) + (b"%s" if self.names else b"")

    def head_codes(self, item: str | None, scope: dict[str, Any], prefix: str) -> list[str]:
        """The code of each per-case field of the head of `item` (None: of `key`, the tuple of them); the
        fields' memos and encoders into scope."""
        codes = []
        for index, (field, name) in enumerate(zip(self.fields, self.names)):
            scope[f"{prefix}{index}"] = field
            source = f"key[{index}]" if item is None else f"{item}.{_attribute(name)}"
            codes.append(f"{prefix}{index}[{source}]" if isinstance(field, _Memo) else f"{prefix}{index}({source})")
        return codes

    def key_code(self, item: str) -> str:
        return "(" + "".join(f"{item}.{_attribute(name)}, " for name in self.names) + ")"


def _maker(rule: _Rule, by_key: bool) -> Callable[[Any], bytes]:
    """The head of an entry as one function, written out for the fields of its rule: `template % (...)`
    with each field's memo looked up, or its encoder called. By key, `make(key)` (what fills the memo);
    else `head(item)`, with no key tuple, the way a deadline whose date differs from case to case is made,
    every time. The names are to_json's keys that _ENTRY_VARYING lists, never text from a card."""
    scope: dict[str, Any] = {"template": rule.head_template()}
    codes = rule.head_codes(None if by_key else "item", scope, "f")
    argument = "key" if by_key else "item"
    return _compiled(f"def make({argument}):\n    return template % ({''.join(c + ', ' for c in codes)})\n", scope,
                     "make")


class _Entries(dict):
    """The heads of one rule's entries, by the tuple of their per-case fields. An entry is its head, from the
    start to the last per-case field, and its tail, the rest: the quoted source, the bulk of an entry's
    kilobyte, the same for every case. Only the head is made per case, and kept here: a check passes or
    fails, so most of its heads repeat. The tail is spliced into the row as it is, so the kernel copies it
    straight into the file and this process never does. A rule whose heads hardly repeat (a deadline's date)
    would fill this with ones never asked for again: when ENTRY_MEMO_SIZE are kept within fewer than twice
    as many rows, the rule turns direct (its heads made every time, this memo dropped)."""

    def __init__(self, rule: _Rule, rows: list[int], turn: Callable[[], None]):
        super().__init__()
        self.make = _maker(rule, by_key=True)
        self.direct_head = _maker(rule, by_key=False)
        self.head = _compiled(f"def head(item):\n    return memo[{rule.key_code('item')}]\n", {"memo": self}, "head")
        self.rows, self.since = rows, rows[0]
        self.turn = turn  # tells the layout, which makes the rule's heads directly from then on
        self.direct = False

    def __missing__(self, key: tuple) -> bytes:
        data = self.make(key)
        if not self.direct and len(self) < ENTRY_MEMO_SIZE:
            self[key] = data
            if len(self) == ENTRY_MEMO_SIZE and self.rows[0] - self.since < 2 * ENTRY_MEMO_SIZE:
                self.direct = True
                self.clear()
                self.turn()
        return data


def _shape(result: Result) -> tuple:
    """What a row function written for a row's shape depends on: each kind's rules in order, with whether
    the entry has its trailing field. (The values have a function of their own for each set of names.)"""
    shape = []
    for kind in ENTRY_KINDS:
        trailing = _ENTRY_TRAILING.get(kind)
        shape.append(tuple((item.id, trailing is not None and getattr(item, trailing) is not None)
                           for item in getattr(result, kind)))
    return tuple(shape)


class _ValueAt:
    """One value of an edition's rows, where it is not the same object as in the row before: its kept form
    (see _Layout._value_data) found the quickest way its values allow."""

    __slots__ = ("layout", "name", "met", "unknown", "asked", "missed", "template")

    def __init__(self, layout: "_Layout", name: str):
        self.layout, self.name = layout, name
        # The values met again as the same object (a district's name from a table, a share): by id, each kept
        # with the object itself, so that the id cannot be another's while it is there.
        self.met: dict[int, tuple] = {}
        self.unknown: dict[frozenset, tuple] = {}  # unknown values by their missing facts (a frozenset's hash is kept)
        self.asked = self.missed = 0  # known values looked up among those seen before, and not found
        self.template: bytes | None = None  # once they hardly repeat (an order number): '"name":{..."value":%s...}'

    def kept(self, value: Any, result: Result) -> tuple:
        if value.__class__ is Open:
            kept = self.unknown.get(value.missing)
            if kept is None:
                kept = self.layout._value_data(self.name, value, result)
                if len(self.unknown) < MEMO_SIZE:
                    self.unknown[value.missing] = kept
            return kept
        kept = self.met.get(id(value))
        if kept is not None and kept[0] is value:
            return kept
        if self.template is not None:
            return value, self.template % json_bytes(describe_value(value, result.value_types[self.name])), ()
        kept = self.layout._value_data(self.name, value, result)
        if kept[0] is not value:  # seen before, as another object
            kept = (value, *kept[1:])
        else:
            self.missed += 1
        self.asked += 1
        if len(self.met) < SAME_OBJECTS:
            self.met[id(value)] = kept
        if self.asked == VALUE_TRIES and self.missed > VALUE_TRIES // 2:
            self.template = self._template(value, result)
        return kept

    def _template(self, value: Any, result: Result) -> bytes | None:
        """The value's JSON as a template around its "value", from to_json's own helper: all but that field
        depends on the value's name and type alone."""
        parts, names = _split(self.layout._value_json(self.name, value, result), ("value",))
        if names != ["value"]:
            return None
        return _escaped(json_bytes(self.name) + b":" + parts[0]) + b"%s" + _escaped(parts[1])


class _Layout:
    """One edition's row: constant bytes, the per-case fields between them, and the functions that make a
    row of them, generated from its layout.

    The general one (`general`) takes any result of the edition: each kind of entry a loop, each entry its
    head (made or looked up) and its tail as kept. But an edition's rows nearly all have one shape (the
    same rules in the same order), so after LEARN_ROWS rows the layout writes a function for the shape most
    of them had: every entry written out in order, each run of short pieces between two tails one
    `template % (fields)`, no loop, no lookup of a rule. A row of another shape is made the general way;
    when most rows are, the layout learns their shape instead (RELEARNS times at most). The values (some
    apply only to some cases) have a function written out for each set of names met (_new_plan).
    """

    def __init__(self, result: Result, memos: dict[str, _Memo], install: Callable[[Callable], None]):
        self.memos = memos
        self.install = install  # hands the row function to JsonRows
        self.product, self.title, self.edition = result.product, result.title, result.edition
        # By kind, each rule's (head(item), the piece after the head, the entry's end[, trailing field]) for the
        # general function; the rules with a trailing field apart. All rules, for the written-out function.
        self.entries: dict[str, dict[str, tuple]] = {kind: {} for kind in ENTRY_KINDS}
        self.trailing: dict[str, dict[str, tuple]] = {kind: {} for kind in ENTRY_KINDS}
        self.rules: dict[tuple, _Rule] = {}
        self.values: dict[Any, tuple] = {}  # (name, value) -> its kept form; the value's type is the edition's
        self.plans: dict[tuple, Callable] = {}  # the values' names -> the function that writes them
        self.places: list[_ValueAt] = []  # every value of every plan
        self.gaps: dict[tuple, bytes] = {}  # the missing facts of the items, as found -> the row's `missing`
        self.rows = [0]  # rows made: whether a rule's heads repeat enough to keep
        self.dates = self._memo("date", date_json)
        self.lists = self._memo("list", list)
        empty = Result(result.product, result.title, result.edition, _ANY_DAY, _ANY_DAY)
        self.parts, self.names = _split(result_object(0, None, empty, None, None)[0], _ROW_VARYING)
        self.general = self._general_function()
        self.shapes: Counter = Counter()  # while learning: the shapes of the rows made
        self.shape: tuple | None = None  # the shape of the written-out function
        self.learning, self.relearns, self.misses, self.since = True, 0, 0, 0
        self.install(self._learn)

    def _memo(self, name: str, convert) -> _Memo:
        memo = self.memos.get(name)
        if memo is None:
            memo = self.memos[name] = _Memo(convert)
        return memo

    # -- which function makes the rows

    def _learn(self, row: int, ident: Any, result: Result) -> tuple:
        self.shapes[_shape(result)] += 1
        made = self.general(row, ident, result)
        if sum(self.shapes.values()) >= LEARN_ROWS:
            self.shape = self.shapes.most_common(1)[0][0]
            self._write_out()
        return made

    def _missed(self, row: int, ident: Any, result: Result) -> tuple:
        """A row not of the written-out shape: made the general way."""
        self.misses += 1
        if (self.misses >= 8 * LEARN_ROWS and self.relearns < RELEARNS
                and self.misses > 3 * (self.rows[0] - self.since - self.misses)):
            self.relearns += 1
            self.shapes.clear()
            self.learning = True
            self.install(self._learn)
        return self.general(row, ident, result)

    def _write_out(self) -> None:
        """The row function for self.shape, written out (again: a rule of it has turned direct)."""
        self.learning, self.misses, self.since = False, 0, self.rows[0]
        self.install(self._shape_function(self.shape))

    def _turned(self) -> None:
        """A rule's heads are made directly now, not looked up: the functions that write them out follow."""
        for kind in ENTRY_KINDS:
            for ident, entry in list(self.entries[kind].items()):
                self.entries[kind][ident] = (self._general_head(self.rules[kind, ident, False]),) + entry[1:]
            for ident, entry in list(self.trailing[kind].items()):
                self.trailing[kind][ident] = (self._general_head(self.rules[kind, ident, True]),) + entry[1:]
        if not self.learning:
            self._write_out()

    @staticmethod
    def _general_head(rule: _Rule) -> Callable[[Any], bytes]:
        return rule.heads.direct_head if rule.heads.direct else rule.heads.head

    # -- the general row function

    # A field of the row that is one expression: the % code it takes in the row's template, and the expression.
    _SIMPLE = {"row": (b"%d", "row"), "id": (b"%s", "id_json(ident)"),
               "rules_on": (b"%s", "dates[result.rules_on]"), "as_of": (b"%s", "dates[result.as_of]"),
               "not_applicable": (b"%s", "lists[tuple(result.not_applicable)]")}

    def _scope(self) -> dict[str, Any]:
        return {"id_json": json_bytes, "dates": self.dates, "lists": self.lists, "rows": self.rows,
                "gap_memo": self.gaps, "missing_json": self._missing_json, "plans": self.plans,
                "new_plan": self._new_plan}

    def _general_function(self) -> Callable[[int, Any, Result], tuple]:
        """`row(row, ident, result)` for any result of the edition: the row's own fields formatted into the
        constant text around them; each kind of entry a loop, each entry its head (made or looked up) and its
        tail as kept. The row is its pieces: the run of short ones since the last tail joined, and the tails,
        so that a chunk is a few pieces a row for the kernel, not a hundred."""
        scope = self._scope()
        scope.update({"join": b"".join, "new_entry": self._new_entry})
        lines = ["def row(row, ident, result):",
                 "    rows[0] += 1",
                 "    out = []",
                 "    run = []",
                 "    append = run.append",
                 "    gaps = []"]
        # The row's text since the last flush, as a template: the constants (% doubled), a % code per field.
        pending, args = [_escaped(self.parts[0])], []

        def flush(extra: bytes) -> str:
            name = f"c{len(scope)}"
            scope[name] = b"".join(pending) + _escaped(extra)
            return f"append({name} % ({''.join(arg + ', ' for arg in args)}))" if args else f"append({name})"

        seen = set()
        for name, after in zip(self.names, self.parts[1:]):
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
                lines += ["    values = result.values",
                          "    written, gap = (plans.get(tuple(values)) or new_plan(values))(values, result)",
                          "    gaps += gap"]
                pending += [b"{%s}"]
                args.append("written")
            else:
                lines += self._entries_code(name, flush(b"["), flush(b"[]"), scope)
                pending, args = [], []
            seen.add(name)
            pending.append(_escaped(after))
        last = flush(b"\n")
        lines += [f"    {last}",
                  "    out.append(join(run))",
                  "    return tuple(out)"]
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

    # -- the row function written out for a shape

    def _shape_function(self, shape: tuple) -> Callable[[int, Any, Result], tuple]:
        """`row(row, ident, result)` for results of one shape (else the general way): the shape checked by
        the rules' ids (the very objects of the catalogue's rules: a row from elsewhere, with equal ids, is
        merely made the general way), then each run of short pieces between two tails one template."""
        kinds = shape
        scope = self._scope()
        scope["miss"] = self._missed
        lines = ["def row(row, ident, result):"]
        sizes = []
        for k, (kind, items) in enumerate(zip(ENTRY_KINDS, kinds)):
            lines.append(f"    K{k} = result.{_attribute(kind)}")
            sizes.append(f"len(K{k}) != {len(items)}")
        lines += [f"    if {' or '.join(sizes)}:",
                  "        return miss(row, ident, result)"]
        checks, items_of = [], {}
        for k, (kind, items) in enumerate(zip(ENTRY_KINDS, kinds)):
            if not items:
                continue
            names_k = [f"i{k}_{j}" for j in range(len(items))]
            items_of[kind] = names_k
            lines.append(f"    {', '.join(names_k)}, = K{k}")
            trailing = _ENTRY_TRAILING.get(kind)
            for item, (ident, has_trail) in zip(names_k, items):
                scope[f"ID_{item}"] = ident
                checks.append(f"{item}.id is not ID_{item}")
                if trailing:
                    checks.append(f"{item}.{_attribute(trailing)} is {'' if has_trail else 'not '}None")
        if checks:
            lines += [f"    if {' or '.join(checks)}:",
                      "        return miss(row, ident, result)"]
        gaps = "".join(f"{item}.missing, " for kind in ENTRY_KINDS for item in items_of.get(kind, ()))
        lines += ["    rows[0] += 1",
                  "    values = result.values",
                  "    written, gaps = (plans.get(tuple(values)) or new_plan(values))(values, result)",
                  f"    gaps = ({gaps}) + gaps" if gaps else "    gaps = gaps",
                  "    missing = (gap_memo.get(gaps) or missing_json(gaps)) if gaps else b'[]'"]
        pieces: list[str] = []
        constants: dict[int, str] = {}  # the pieces without fields (tails), by index: their names in scope
        # The next piece: (whether constant, its raw text or a % code), and the fields' code.
        template: list[tuple[bool, bytes]] = [(True, self.parts[0])]
        args: list[str] = []

        def piece() -> None:
            """The template so far as one piece of the row. Its constant text up to the first field joins the
            constant piece before it (a tail: an entry's source), so that only text with fields in it is made
            row after row, and the rest is kept for the edition."""
            nonlocal template
            lead = next((index for index, (constant, _) in enumerate(template) if not constant), len(template))
            if lead and len(pieces) - 1 in constants:
                scope[constants[len(pieces) - 1]] += b"".join(text for _, text in template[:lead])
                template = template[lead:]
            if template == [(False, b"%s")]:  # bytes as they are (a head kept whole): not copied
                pieces.append(args[0])
            elif template:
                name = f"P{len(pieces)}"
                scope[name] = b"".join(_escaped(text) if constant else text for constant, text in template)
                if not args:
                    constants[len(pieces)] = name
                pieces.append(f"{name} % ({''.join(arg + ', ' for arg in args)})" if args else name)

        def tail(data: bytes) -> None:
            name = constants[len(pieces)] = f"P{len(pieces)}"
            scope[name] = data
            pieces.append(name)

        for name, after in zip(self.names, self.parts[1:]):
            if name in self._SIMPLE or name == "missing":
                code, expression = self._SIMPLE.get(name, (b"%s", "missing"))
                template.append((False, code))
                args.append(expression)
            elif name == "values":  # a piece of its own, as the values' function wrote it
                template.append((True, b"{"))
                piece()
                template, args = [(False, b"%s")], ["written"]
                piece()
                template, args = [(True, b"}")], []
            else:
                items = kinds[ENTRY_KINDS.index(name)]
                template.append((True, b"[" if items else b"[]"))
                for j, ((ident, has_trail), item) in enumerate(zip(items, items_of.get(name, ()))):
                    rule = self.rules[name, ident, has_trail]
                    if rule.heads.direct:
                        for part in rule.parts:
                            template += [(True, part), (False, b"%s")]
                        args += rule.head_codes(item, scope, f"F_{item}_")
                    else:
                        scope[f"H_{item}"] = rule.heads
                        template.append((False, b"%s"))
                        args.append(f"H_{item}[{rule.key_code(item)}]")
                    piece()
                    template, args = [], []
                    last = j == len(items) - 1
                    if has_trail:
                        tail(rule.tail)
                        scope[f"T_{item}"] = rule.trail
                        template, args = [(False, b"%s"), (True, rule.end + (b"]" if last else b","))], [f"T_{item}({item})"]
                    else:
                        tail(rule.close if last else rule.comma)
            template.append((True, after))
        template.append((True, b"\n"))
        piece()
        lines.append(f"    return ({''.join(p + ', ' for p in pieces)})")
        return _compiled("\n".join(lines) + "\n", scope, "row")

    # -- the values

    def _new_plan(self, values: dict) -> Callable[[dict, Result], tuple[bytes, tuple]]:
        """`write(values, result)` for values of these names, in this order: their JSON (without its braces)
        and the missing facts of each. Each value is taken as it was in the row before when it is the same
        object (a parameter is, row after row: hashing it may be a dataclass's __hash__ in Python, asked a
        million times over), else looked up or encoded."""
        names = tuple(values)
        if len(self.plans) >= VALUE_PLANS:
            return self._values_anyhow
        if not names:
            write = self.plans[names] = lambda values, result: (b"", ())
            return write
        # The values' last objects (none yet: _OPEN is never one), their bytes and missing facts, by index.
        last, data, gaps = [_OPEN] * len(names), [b""] * len(names), [()] * len(names)
        places = [_ValueAt(self, name) for name in names]
        self.places += places

        def value_at(index: int, value: Any, result: Result) -> None:
            kept = places[index].kept(value, result)
            last[index], data[index], gaps[index] = value, kept[1], kept[2]

        scope = {"LV": last, "LD": data, "LG": gaps, "value_at": value_at, "template": b",".join(b"%s" for _ in names)}
        local = [f"v{index}" for index in range(len(names))]
        lines = ["def write(values, result):",
                 f"    {', '.join(local)}, = values.values()"]
        for index, value in enumerate(local):
            lines += [f"    if {value} is not LV[{index}]:",
                      f"        value_at({index}, {value}, result)"]
        lines.append(f"    return template % ({''.join(f'LD[{i}], ' for i in range(len(names)))}), "
                     f"({''.join(f'LG[{i}], ' for i in range(len(names)))})")
        write = self.plans[names] = _compiled("\n".join(lines) + "\n", scope, "write")
        return write

    def _values_anyhow(self, values: dict, result: Result) -> tuple[bytes, tuple]:
        """What a plan gives, for values of yet another set of names."""
        kept = [self._value_data(name, value, result) for name, value in values.items()]
        return b",".join(each[1] for each in kept), tuple(each[2] for each in kept)

    # -- what the row functions call on what they have not seen before

    def _value_data(self, name: str, value: Any, result: Result) -> tuple:
        """A value's kept form (the value, its '"name":{...}', its missing facts), from the memo when it has
        been seen. An unknown value's JSON depends on its missing facts alone."""
        memo = self.values
        unknown = value.__class__ is Open
        key = (name, _OPEN, value.names) if unknown else (name, value)
        try:
            kept = memo.get(key)
        except TypeError:  # not hashable: encoded every time
            key, kept = None, None
        if kept is None:
            kept = (value, json_bytes(name) + b":" + json_bytes(self._value_json(name, value, result)),
                    value.names if unknown else ())
            if key is not None and len(memo) < MEMO_SIZE:
                memo[key] = kept
        return kept

    @staticmethod
    def _value_json(name: str, value: Any, result: Result) -> dict:
        """value_json, with `indicative` where to_json adds it (by to_json's own helper)."""
        data = value_json(value, result.value_types[name])
        if result.indicative:
            alone = Result(result.product, result.title, result.edition, _ANY_DAY, _ANY_DAY,
                           indicative=result.indicative)
            add_instalments_and_indications({"payments": [], "checks": [], "values": {name: data}}, alone)
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
        """A rule's entry for the general function: what makes its head, and the constant parts after it;
        from to_json of a result that holds only this item."""
        alone = Result(self.product, self.title, self.edition, _ANY_DAY, _ANY_DAY)
        getattr(alone, kind).append(item)
        varying = dict(_ENTRY_VARYING[kind])
        if trailing:
            varying[_ENTRY_TRAILING[kind]] = None
        parts, names = _split(to_json(alone)[kind][0], varying)
        rule = _Rule(kind, item.id, trailing)
        if trailing:  # the head ends before the constant part that the trailing field follows
            assert names[-1] == _ENTRY_TRAILING[kind], names
            parts, names, rule.end = parts[:-1], names[:-1], parts[-1]
            rule.trail = self._trailing_json(kind)
        rule.parts, rule.names, rule.tail = parts[:-1], names, parts[-1]
        rule.comma, rule.close = rule.tail + b",", rule.tail + b"]"
        rule.fields = [_UNKEPT.get(varying[name])
                       or self._memo(_SHARED_MEMOS.get(varying[name]) or f"{kind}.{name}", varying[name])
                       for name in names]
        rule.heads = _Entries(rule, self.rows, self._turned)
        self.rules[kind, item.id, trailing] = rule
        if trailing:
            entry = (rule.heads.head, rule.tail, rule.end, rule.trail)
            self.trailing[kind][item.id] = entry
        else:
            entry = (rule.heads.head, rule.comma, rule.close)
            self.entries[kind][item.id] = entry
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
            add_instalments_and_indications(shell, alone)
            return json_bytes(entry[name])

        return encode


