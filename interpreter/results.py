"""Assemble what an evaluation yields: deadlines with status, payments, reports, checks and values."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import nodes as n
from . import types as t
from .model import Citation, Rule
from .values import Open, describe_value, format_percent

# The version of the result's JSON shape (catalogue/schemas/result.schema.json). Additions of optional
# fields keep the major number; a removal, rename or change of meaning raises it (docs/api.md).
SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class DeadlineResult:
    id: str
    label: str
    date: dt.date | None
    status: str  # open | met | overdue | unknown; an optional deadline: open | met | late | lapsed | unknown
    missing: tuple[str, ...]
    source: str
    done_on: dt.date | None = None
    reasons: tuple[str, ...] = ()
    citation: Citation | None = None


@dataclass(frozen=True)
class PaymentResult:
    id: str
    label: str
    payment: str
    share: Decimal | None
    amount: Decimal | None
    trigger: str
    date: dt.date | None
    missing: tuple[str, ...]
    source: str
    status: str = "unknown"  # unknown | pending | due
    trigger_fact: str | None = None
    citation: Citation | None = None
    instalments: tuple[InstalmentResult, ...] | None = None  # a payment with a schedule: each period's payment


@dataclass(frozen=True)
class InstalmentResult:
    sequence: int
    date: dt.date  # the day it falls due: the end of its period (in arrears)
    period_start: dt.date
    period_end: dt.date
    amount: Decimal | None  # None while the amount per period is unknown
    status: str  # pending | due


@dataclass(frozen=True)
class ReportResult:
    id: str
    label: str
    date: dt.date | None
    missing: tuple[str, ...]
    source: str
    sequence: int | None = None
    citation: Citation | None = None


@dataclass(frozen=True)
class CheckResult:
    id: str
    label: str
    passed: bool | None
    message: str | None
    missing: tuple[str, ...]
    source: str
    citation: Citation | None = None
    indicative: bool = False  # rests on a 'circa' value: never fails; a message says when it is not met


@dataclass
class Result:
    product: str
    title: str
    edition: str
    as_of: dt.date  # the day statuses are judged on
    rules_on: dt.date  # the day whose rules apply: it chose the edition and the effective-dated values
    deadlines: list[DeadlineResult] = field(default_factory=list)
    payments: list[PaymentResult] = field(default_factory=list)
    reports: list[ReportResult] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    value_types: dict[str, t.Type] = field(default_factory=dict)
    not_applicable: list[str] = field(default_factory=list)
    trace: list[dict] = field(default_factory=list)
    receipt: dict[str, str] = field(default_factory=dict)
    indicative: frozenset[str] = frozenset()  # the values that rest on a 'circa' value

    @property
    def missing(self) -> list[str]:
        """Every fact that would make an open result known."""
        # Asked once per batch row: most entries miss nothing, so only those that do are gathered.
        names = set()
        for group in (self.deadlines, self.payments, self.reports, self.checks):
            for item in group:
                if item.missing:
                    names.update(item.missing)
        for value in self.values.values():
            if value.__class__ is Open:  # Open has no subclasses: the cheapest test, on every value
                names.update(value.missing)
        return sorted(names)


def _missing(value: Any) -> tuple[str, ...]:
    return value.names if isinstance(value, Open) else ()


# The assemblers below turn computed values into result entries. Both backends (the tree walker
# of interpreter.evaluator and interpreter.compiler) call them, so their results cannot differ in form.

def deadline_result(rule: Rule, due: Any, done: Any, as_of: dt.date) -> DeadlineResult:
    """A deadline's date and status: met, overdue, open, or unknown when the date is unknown.

    An optional deadline (a right, not a duty) is late instead of overdue when used after its date, and
    lapsed, not a failure, when its date passed unused.
    """
    done_on = None if done.__class__ is Open else done  # Open has no subclasses: the cheapest test
    if due.__class__ is Open:
        return DeadlineResult(rule.id, rule.label, None, "unknown", _missing(due), rule.source, done_on,
                              due.reasons, rule.citation)
    if done_on is not None:
        status = "met" if done_on <= due else ("late" if rule.optional else "overdue")
    elif as_of > due:
        status = "lapsed" if rule.optional else "overdue"
    else:
        status = "open"
    return DeadlineResult(rule.id, rule.label, due, status, (), rule.source, done_on, (), rule.citation)


def payment_trigger(rule: Rule, labels: dict[str, str]) -> str:
    """What a payment part is paid on, in words: the fact's label, else the expression."""
    if "on" not in rule.exprs:
        return ""
    node = rule.exprs["on"].node
    return labels.get(node.name, node.name) if isinstance(node, n.FactRef) else rule.exprs["on"].text.strip()


def payment_result(rule: Rule, trigger: str, share: Any, amount: Any, on: Any, as_of: dt.date) -> PaymentResult:
    """A payment part: unknown until its amount is known, then pending until its trigger date has come."""
    # Open has no subclasses: `__class__ is` is the cheapest test, and every case of a batch pays each part.
    share_open, amount_open = share.__class__ is Open, amount.__class__ is Open
    unknown = (share | amount if amount_open else share) if share_open else (amount if amount_open else None)
    missing = unknown.names if unknown else ()
    on_open = on.__class__ is Open
    if on_open and on.names:  # the trigger's facts are missing too: name them, so the item can be closed
        missing = tuple(sorted(set(missing) | set(on.names)))
    if unknown:
        status = "unknown"
    elif "on" in rule.exprs and (on_open or on > as_of):
        status = "pending"
    else:
        status = "due"
    return PaymentResult(rule.id, rule.label, rule.group or rule.id,
                         None if share_open else share, None if amount_open else amount,
                         trigger, None if on_open else on, missing, rule.source, status,
                         rule.trigger_fact, rule.citation)


def schedule_result(rule: Rule, schedule: Any, as_of: dt.date) -> PaymentResult:
    """A payment with a schedule: its total, and each instalment with its period and status."""
    if isinstance(schedule, Open):
        return PaymentResult(rule.id, rule.label, rule.group or rule.id, None, None, "", None, schedule.names,
                             rule.source, "unknown", None, rule.citation, None)
    entries = tuple(InstalmentResult(i.sequence, i.end, i.start, i.end, i.amount,
                                     "pending" if i.end > as_of else "due") for i in schedule.instalments)
    total = schedule.total()
    if isinstance(total, Open):
        status, amount, missing = "unknown", None, total.names
    else:
        status = "pending" if any(entry.status == "pending" for entry in entries) else "due"
        amount, missing = total, ()
    return PaymentResult(rule.id, rule.label, rule.group or rule.id, None, amount, "",
                         entries[-1].date if entries else None, missing, rule.source, status, None, rule.citation,
                         entries)


def report_results(rule: Rule, value: Any) -> list[ReportResult]:
    """One entry per report date; a single unknown entry while the dates are unknown."""
    if isinstance(value, Open):
        return [ReportResult(rule.id, rule.label, None, _missing(value), rule.source, None, rule.citation)]
    if isinstance(value, tuple):
        return [ReportResult(rule.id, rule.label, day, (), rule.source, index, rule.citation)
                for index, day in enumerate(value, start=1)]
    return [ReportResult(rule.id, rule.label, value, (), rule.source, None, rule.citation)]


ENTRIES_KEPT = 256  # entries of unknown checks kept per compiled check: one per set of missing facts


def unknown_check(rule: Rule, value: Any, kept: dict) -> CheckResult:
    """check_result for a value that is neither True nor False.

    The entry of an unknown value holds nothing of it but the facts it misses, and a batch's unknown checks
    miss the same few sets of facts: entries are kept in `kept` (one dict per compiled check) by those."""
    if value.__class__ is not Open:
        return check_result(rule, value)
    names = value.names
    entry = kept.get(names)
    if entry is None:
        entry = check_result(rule, value)
        if len(kept) < ENTRIES_KEPT:
            kept[names] = entry
    return entry


def check_result(rule: Rule, value: Any) -> CheckResult:
    if isinstance(value, Open):
        return CheckResult(rule.id, rule.label, None, None, _missing(value), rule.source, rule.citation,
                           rule.indicative)
    if rule.indicative:  # an indication not met is said, but never fails the check
        return CheckResult(rule.id, rule.label, True, None if value else (rule.message or rule.label), (),
                           rule.source, rule.citation, True)
    return CheckResult(rule.id, rule.label, value, None if value else (rule.message or rule.label), (),
                       rule.source, rule.citation)


def value_type(rule: Rule) -> t.Type:
    """The static type of a parameter's or value's result."""
    return rule.editions[0].expr.type if rule.section == "parameters" else rule.exprs["value"].type


def date_json(day: dt.date | None) -> str | None:
    """A date as the result contract writes it (also the JSON Lines splicer's, which must agree byte for byte)."""
    return day.isoformat() if day else None


def share_json(share: Decimal | None) -> str | None:
    """A payment part's share as the result contract writes it: "60%"."""
    return None if share is None else format_percent(share)


def money_json(amount: Decimal | None) -> str | None:
    """An amount as the result contract writes it: two decimals, as text."""
    return None if amount is None else f"{amount:.2f}"


# The contract's names for the rule language's types (result.schema.json, docs/api.md).
VALUE_TYPES = {"bool": "yes/no", "number": "number", "money": "money", "percent": "percentage",
               "date": "date", "duration": "duration", "text": "text", "dates": "list of dates"}


def type_name(type_: t.Type) -> str:
    """A value's type as the JSON result names it."""
    kind = type(type_)
    if kind is t.SetType:
        return "list of choices"
    if kind is t.EnumType:
        return "choice"
    return VALUE_TYPES.get(type_.name, type_.name)


def source_json(citation: Citation | None) -> dict | None:
    """The one shape of `source` everywhere: document, its title (catalogue.yaml `documents:`), section and
    the quoted sentence."""
    if citation is None:
        return None
    return {"document": citation.document, "title": citation.title, "section": citation.section,
            "quote": citation.quote}


_TYPE_NAMES: dict[int, tuple[t.Type, str]] = {}  # by id() of a catalogue's type objects, which live as long


def _type_name_of(type_: t.Type) -> str:
    """type_name, looked up once per type object: every result of a service or batch run asks again."""
    kept = _TYPE_NAMES.get(id(type_))
    if kept is None or kept[0] is not type_:
        if len(_TYPE_NAMES) > 10_000:  # catalogues reloaded many times: start afresh
            _TYPE_NAMES.clear()
        kept = _TYPE_NAMES[id(type_)] = (type_, type_name(type_))
    return kept[1]


def _item_source(item) -> dict | None:
    return source_json(item.citation)


def value_json(value: Any, type_: t.Type) -> dict:
    if type(value) is Open:
        return {"type": _type_name_of(type_), "value": None, "missing": list(value.names)}
    return {"type": _type_name_of(type_), "value": describe_value(value, type_), "missing": []}


def to_json(result: Result, explain: bool = False) -> dict:
    """The JSON object of `catalogue evaluate`, the API and batch rows: catalogue/schemas/result.schema.json."""
    source = _item_source
    out = {
        "schema_version": SCHEMA_VERSION,
        "product": result.product,
        "title": result.title,
        "edition": result.edition,
        "rules_on": result.rules_on.isoformat(),
        "as_of": result.as_of.isoformat(),
        "deadlines": [{"id": d.id, "label": d.label, "date": date_json(d.date), "status": d.status,
                       "missing": list(d.missing), "done_on": date_json(d.done_on), "source": source(d)}
                      for d in result.deadlines],
        "payments": [{"id": p.id, "label": p.label, "payment": p.payment, "status": p.status,
                      "share": share_json(p.share),
                      "amount": money_json(p.amount),
                      "trigger": {"fact": p.trigger_fact, "label": p.trigger} if p.trigger else None,
                      "date": date_json(p.date), "missing": list(p.missing), "source": source(p)}
                     for p in result.payments],
        "reports": [{"id": r.id, "label": r.label, "date": date_json(r.date), "sequence": r.sequence,
                     "missing": list(r.missing), "source": source(r)} for r in result.reports],
        "checks": [{"id": c.id, "label": c.label, "passed": c.passed, "message": c.message,
                    "missing": list(c.missing), "source": source(c)} for c in result.checks],
        "values": {key: value_json(value, result.value_types[key]) for key, value in result.values.items()},
        "missing": result.missing,
        "not_applicable": result.not_applicable,
        "receipt": result.receipt,
    }
    add_instalments_and_indications(out, result)
    if explain:
        out["trace"] = result.trace
    return out


def add_instalments_and_indications(out: dict, result: Result) -> None:
    """The instalments of a payment with a schedule, and `indicative` on a check or value that rests on a
    'circa' value: added where they apply, so that every other entry keeps its shape."""
    for entry, payment in zip(out["payments"], result.payments):
        if payment.instalments is not None:
            entry["instalments"] = [{"sequence": i.sequence, "date": i.date.isoformat(),
                                     "period": {"start": i.period_start.isoformat(), "end": i.period_end.isoformat()},
                                     "amount": money_json(i.amount), "status": i.status} for i in payment.instalments]
    for entry, check in zip(out["checks"], result.checks):
        if check.indicative:
            entry["indicative"] = True
    for key in result.indicative:
        if key in out["values"]:
            out["values"][key]["indicative"] = True
