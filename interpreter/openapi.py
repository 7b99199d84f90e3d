"""The service's OpenAPI document, per catalogue: precise enough that a request which fits it is accepted.

FastAPI describes the routes; this module adds the result contract and the problem shape as components,
and writes the request side from the catalogue: each fact typed by the vocabulary within the service's
bounds (dates of its years, amounts of its magnitude, the engine's digits), and per product a request
schema whose dates choose an edition the product has. A request to a product path is accepted when it
fits that product's schema; the templated `{code}` paths stay for every other code (a 404).
"""
from __future__ import annotations

import calendar
import copy
import datetime as dt
import json
from decimal import Decimal
from typing import Any

from . import types as t
from .cases import RULES_ON
from .policy.jsonschema import result_schema
from .limits import MAX_DURATION, MAX_FRACTION_DIGITS

PRODUCT_PATHS = ("/v1/products/{code}", "/v1/products/{code}/evaluate", "/v1/products/{code}/batch",
                 "/v1/products/{code}/due")
EDITION_PARAMETERS = {"/v1/products/{code}": "on", "/v1/products/{code}/batch": "rules_on",
                      "/v1/products/{code}/due": "rules_on"}  # the query dates that choose an edition
DATE_PARAMETERS = ("on", "as_of", "rules_on")

# -- dates as patterns: exactly the ISO dates of an interval, leap days included ----------------------

_MONTH_DAYS = ("(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
               "|02-(?:0[1-9]|1[0-9]|2[0-8]))")  # every day of a year but 29 February


def digits_between(low: int, high: int, width: int) -> str:
    """A regular expression for the zero-padded numbers low..high of `width` digits."""
    return _range(f"{low:0{width}d}", f"{high:0{width}d}")


def _range(low: str, high: str) -> str:
    if low == high:
        return low
    if len(low) == 1:
        return f"[{low}-{high}]"
    if low[0] == high[0]:
        return low[0] + _group(_range(low[1:], high[1:]))
    rest = len(low) - 1
    parts, first, last = [], int(low[0]), int(high[0])
    if low[1:] != "0" * rest:
        parts.append(low[0] + _group(_range(low[1:], "9" * rest)))
        first += 1
    tail = None
    if high[1:] != "9" * rest:
        tail = high[0] + _group(_range("0" * rest, high[1:]))
        last -= 1
    if first <= last:
        parts.append((str(first) if first == last else f"[{first}-{last}]") + f"[0-9]{{{rest}}}")
    if tail:
        parts.append(tail)
    return "|".join(parts)


def _group(pattern: str) -> str:
    return f"(?:{pattern})" if "|" in pattern else pattern


def _part_of_year(year: int, first: tuple[int, int], last: tuple[int, int]) -> list[str]:
    out = []
    for month in range(first[0], last[0] + 1):
        low = first[1] if month == first[0] else 1
        high = last[1] if month == last[0] else calendar.monthrange(year, month)[1]
        out.append(f"{year:04d}-{month:02d}-{_group(digits_between(low, high, 2))}")
    return out


def _days(first: dt.date, last: dt.date) -> list[str]:
    """The alternatives of a pattern for the dates first..last."""
    if first.year == last.year:
        return _part_of_year(first.year, (first.month, first.day), (last.month, last.day))
    out = _part_of_year(first.year, (first.month, first.day), (12, 31))
    if first.year + 1 <= last.year - 1:
        out.append(f"{_group(digits_between(first.year + 1, last.year - 1, 4))}-{_MONTH_DAYS}")
        leap = [f"{year:04d}" for year in range(first.year + 1, last.year) if calendar.isleap(year)]
        if leap:
            out.append(f"(?:{'|'.join(leap)})-02-29")
    return out + _part_of_year(last.year, (1, 1), (last.month, last.day))


def date_pattern(spans: list[tuple[dt.date, dt.date]]) -> str:
    """A pattern that matches exactly the YYYY-MM-DD dates inside the given spans (first and last included)."""
    return "^(?:" + "|".join(part for first, last in spans for part in _days(first, last)) + ")$"


def date_schema(spans: list[tuple[dt.date, dt.date]], description: str | None = None) -> dict:
    if not spans:  # no day at all (a product whose editions all lie outside the service's years)
        return {"not": {}, **({"description": description} if description else {})}
    out = {"type": "string", "format": "date", "pattern": date_pattern(spans)}
    return {**out, "description": description} if description else out


def edition_spans(editions, earliest: dt.date, latest: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The days on which a product has an edition, within the service's years, as merged spans."""
    spans: list[tuple[dt.date, dt.date]] = []
    for product in sorted(editions, key=lambda p: p.valid_from or dt.date.min):
        first, last = max(product.valid_from or earliest, earliest), min(product.valid_until or latest, latest)
        if first > last:
            continue
        if spans and first <= spans[-1][1] + dt.timedelta(days=1):
            spans[-1] = (spans[-1][0], max(spans[-1][1], last))
        else:
            spans.append((first, last))
    return spans


# -- facts as a request may give them -------------------------------------------------------------

def _decimal_text(integer_digits: int, signed: bool, currency: bool) -> str:
    sign = "-?" if signed else ""
    euro = "€?" if currency else ""
    return f"^{euro}{sign}[0-9]{{1,{integer_digits}}}(?:\\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?$"


ISO_DATE = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"  # the shape; the service's years are checked apart, with their own message
_PERCENT = f"^(?:100(?:\\.0{{1,{MAX_FRACTION_DIGITS}}})?|[0-9]{{1,2}}(?:\\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?)%$"
_DURATION = (f"^(?:{digits_between(0, MAX_DURATION, len(str(MAX_DURATION)))}|[0-9]{{1,{len(str(MAX_DURATION)) - 1}}})"
             " (?:working days?|days?|weeks?|months?|years?)$")


def _unsigned(fact) -> bool:
    minimum = getattr(fact, "minimum", None)
    return minimum is not None and Decimal(minimum) >= 0


def text_pattern(fact, largest: Decimal) -> str | None:
    """The one way a request writes this fact's value as text, or None when any text (or none) will do.

    The service refuses other spellings that the case files' readers would take (" 4000", "€ 4000",
    "2016-4-1" padded): what the OpenAPI document allows is exactly what is accepted."""
    type_ = fact.type
    if type_ == t.DATE:
        return ISO_DATE
    if type_ in (t.MONEY, t.NUMBER):
        digits = len(str(int(largest))) - 1  # largest is a power of ten
        sign = "" if _unsigned(fact) else "-?"
        euro = "€?" if type_ == t.MONEY else ""
        return f"^{euro}{sign}[0-9]{{1,{digits}}}(?:\\.[0-9]{{1,{MAX_FRACTION_DIGITS}}})?$"
    if type_ == t.PERCENT:
        return _PERCENT
    if type_ == t.DURATION:
        return _DURATION
    return None


def _amount(fact, largest: Decimal) -> dict:
    """An amount or number: a JSON integer, or decimal text. A JSON number with a fraction is a float to
    most JSON libraries, so a fraction is written as text ("4000.50"), which stays exact."""
    bound = int(largest) - 1
    integer: dict[str, Any] = {"type": "integer", "minimum": 0 if _unsigned(fact) else -bound, "maximum": bound}
    minimum = getattr(fact, "minimum", None)
    forms = [integer]
    if minimum is not None and Decimal(minimum) > 0:
        integer["minimum"] = int(-(-Decimal(minimum) // 1))  # decimal text cannot say "at least 5"; integers can
    else:
        forms.append({"type": "string", "pattern": text_pattern(fact, largest)})
    return {"anyOf": [*forms, {"type": "null"}]}


def request_fact_schema(fact, days: dict, largest: Decimal) -> dict:
    """What a request may give for one fact: its type's forms within the service's bounds, or null (not known)."""
    type_ = fact.type
    if type_ == t.DATE:
        out: dict[str, Any] = {"anyOf": [days, {"type": "null"}]}
    elif type_ in (t.MONEY, t.NUMBER):
        out = _amount(fact, largest)
    elif type_ in (t.PERCENT, t.DURATION):
        out = {"type": ["string", "null"], "pattern": text_pattern(fact, largest)}
    elif type_ == t.BOOL:
        out = {"type": ["boolean", "null"]}
    elif isinstance(type_, t.EnumType):
        out = {"enum": [*type_.members, None]}
    elif isinstance(type_, t.SetType):
        members = list(type_.enum.members)
        # a set: a choice given twice counts once, but no list is longer than the choices (limits.py)
        out = {"type": ["array", "null"], "items": {"enum": members}, "maxItems": len(members)}
    else:
        out = {"type": ["string", "null"]}
    return {"description": fact.label, **out}


def facts_schema(vocabulary, days: dict, largest: Decimal, max_facts: int) -> dict:
    properties = {name: request_fact_schema(fact, days, largest) for name, fact in vocabulary.facts.items()}
    properties[RULES_ON] = {"description": "the date whose rules apply (edition and dated values)",
                            "anyOf": [days, {"type": "null"}]}
    return {"type": "object", "description": "the case's facts (GET /v1/facts); null: not known yet",
            "properties": properties, "additionalProperties": False, "maxProperties": max_facts}


def evaluate_request(code: str, reference: str | None, spans: list, everywhere: list, today_has_edition: bool) -> dict:
    """The body of an evaluate request for one product: its rules_on (given, or the case's own
    rules_on, or its reference fact, or as_of, or today; see Engine.dates) is a day with an edition."""
    days = {"$ref": "#/components/schemas/Date"}
    out = {"type": "object", "additionalProperties": False, "required": ["facts"],
           "description": f"an evaluate request for {code}",
           "properties": {"facts": {"$ref": "#/components/schemas/Facts"}, "as_of": {"anyOf": [days, {"type": "null"}]},
                          "rules_on": {"anyOf": [days, {"type": "null"}]}}}
    if spans == everywhere:
        return out
    edition = date_schema(spans, f"a day on which {code} has an edition")
    unset = {"type": "null"}  # absent, or null: both leave the choice to the next date
    chosen_by = [
        {"required": ["rules_on"], "properties": {"rules_on": edition}},
        {"properties": {"rules_on": unset, "facts": {"required": [RULES_ON], "properties": {RULES_ON: edition}}}},
    ]
    if reference:
        chosen_by.append({"properties": {"rules_on": unset, "facts": {
            "required": [reference], "properties": {RULES_ON: unset, reference: edition}}}})
    facts_unset = {"properties": {RULES_ON: unset, **({reference: unset} if reference else {})}}
    chosen_by.append({"required": ["as_of"], "properties": {"rules_on": unset, "facts": facts_unset,
                                                             "as_of": edition}})
    if today_has_edition:
        chosen_by.append({"properties": {"rules_on": unset, "facts": facts_unset, "as_of": unset}})
    out["anyOf"] = chosen_by
    return out


# -- the document -----------------------------------------------------------------------------------

def builder(app, largest: Decimal):
    """app.openapi: the document, built again when a reload brings another catalogue (or another day)."""
    from fastapi.openapi.utils import get_openapi

    built_for: list = [None]

    def build() -> dict:
        engine = app.state.live.engine
        key = (engine, dt.date.today())
        if app.openapi_schema and built_for[0] == key:
            return app.openapi_schema
        document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        complete(document, engine, app.state.settings, largest)
        app.openapi_schema, built_for[0] = document, key
        return document

    return build


def complete(document: dict, engine, settings, largest: Decimal) -> None:
    """Add the contract's components and the catalogue's request schemas and product paths."""
    everywhere = [(settings.earliest, settings.latest)]
    components = document.setdefault("components", {}).setdefault("schemas", {})
    components.update(_contract_components())
    components["Date"] = date_schema(everywhere, f"a date from {settings.earliest} to {settings.latest}")
    for operation in _operations(document):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["name"] in DATE_PARAMETERS:
                parameter["schema"] = {"$ref": "#/components/schemas/Date"}
    if engine is None:
        return
    catalogue = engine.catalogue
    components["Facts"] = facts_schema(catalogue.vocabulary, {"$ref": "#/components/schemas/Date"}, largest,
                                       settings.max_facts)
    paths = document["paths"]
    today = dt.date.today()
    for code, editions in catalogue.products.items():
        spans = edition_spans(editions, settings.earliest, settings.latest)
        name = f"EvaluateRequest.{code}"
        today_has_edition = any(first <= today <= last for first, last in spans)
        components[name] = evaluate_request(code, editions[-1].reference_fact, spans, everywhere, today_has_edition)
        for template in PRODUCT_PATHS:
            if template in paths:
                paths[template.replace("{code}", code)] = _for_product(paths[template], code, name, spans,
                                                                       EDITION_PARAMETERS.get(template))
    for template in PRODUCT_PATHS:
        for operation in _operations({"paths": {template: paths.get(template, {})}}):
            operation["description"] = ("Any product code; the paths with a code filled in give each product's "
                                        "precise request. A code the catalogue does not have is a 404.")


def _operations(document: dict):
    for item in document.get("paths", {}).values():
        for method, operation in item.items():
            if method in ("get", "post", "put", "delete", "patch"):
                yield operation


def _for_product(item: dict, code: str, request: str, spans: list, edition_parameter: str | None) -> dict:
    item = copy.deepcopy(item)
    for method, operation in item.items():
        operation["operationId"] = f"{operation.get('operationId', method)}_{code}"
        operation["summary"] = f"{operation.get('summary', '')} ({code})"
        operation["parameters"] = [parameter for parameter in operation.get("parameters", [])
                                   if not (parameter["in"] == "path" and parameter["name"] == "code")]
        for parameter in operation["parameters"]:
            if parameter["name"] == edition_parameter and parameter["in"] == "query":
                parameter["schema"] = date_schema(spans, f"a day on which {code} has an edition")
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body is not None:
            body["schema"] = {"$ref": f"#/components/schemas/{request}"}
    return item


def _hoisted(schema: dict) -> tuple[dict, dict]:
    """A JSON Schema with its $defs moved out to OpenAPI components (the refs rewritten)."""
    text = json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/')
    schema = json.loads(text)
    defs = schema.pop("$defs", {})
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    return schema, defs


def _contract_components() -> dict:
    result, defs = _hoisted(result_schema())
    result["description"] = ("The result contract: catalogue/schemas/result.schema.json, which `catalogue schema` "
                             "writes; this is the same schema. Fields and statuses: docs/api.md.")
    problem_entry = {"type": "object", "required": ["pointer", "code", "message", "hint"],
                     "properties": {"pointer": {"type": "string", "description": "JSON Pointer of the offending field"},
                                    "code": {"type": "string"}, "message": {"type": "string"},
                                    "hint": {"type": ["string", "null"]}}}
    problem = {"type": "object", "required": ["type", "title", "status", "detail", "errors"],
               "description": "RFC 9457 problem details, with every problem of the request in `errors`",
               "properties": {"type": {"type": "string"}, "title": {"type": "string"},
                              "status": {"type": "integer"}, "detail": {"type": "string"},
                              "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemEntry"}},
                              "incident": {"type": "string"}, "receipt": {"type": "object"}}}
    days = {"$ref": "#/components/schemas/Date"}
    request = {"type": "object", "additionalProperties": False, "required": ["facts"],
               "description": "an evaluate request for any product; EvaluateRequest.<code> says which dates "
                              "choose an edition of that product",
               "properties": {"facts": {"$ref": "#/components/schemas/Facts"},
                              "as_of": {"anyOf": [days, {"type": "null"}]},
                              "rules_on": {"anyOf": [days, {"type": "null"}]}},
               "examples": [{"facts": {"registered_on": "2016-04-01", "price": 4000,
                                       "phases": ["orientation", "mediation"], "hard_to_place": False}}]}
    return {"Result": result, **defs, "Facts": {"type": "object"}, "EvaluateRequest": request, "Problem": problem,
            "ProblemEntry": problem_entry}
