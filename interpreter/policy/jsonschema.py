"""Derive JSON Schemas for editors from the cerberus schemas and the fact vocabulary (no second copy)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import schema as s
from .. import types as t
from ..cases import RULES_ON
from ..files import write_whole
from ..values import UNIT_PATTERN

DRAFT = "http://json-schema.org/draft-07/schema#"
CASE_FILE = "case.schema.json"

# How each cerberus type is written in JSON Schema.
_TYPES = {"string": ["string"], "scalar": ["string", "number", "boolean"], "dict": ["object"],
          "list": ["array"], "integer": ["integer"], "boolean": ["boolean"]}


DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


def from_cerberus(rules: dict) -> dict:
    """One cerberus field definition as a JSON Schema."""
    if rules is s.DATE or rules is s.REQUIRED_DATE:
        # cerberus accepts any scalar and the loader reads the date; an editor can say more while typing.
        return {"type": "string", "pattern": DATE_PATTERN, "description": "a date: YYYY-MM-DD, e.g. 2016-04-01"}
    out: dict[str, Any] = {}
    types = rules.get("type")
    if types:
        types = types if isinstance(types, list) else [types]
        json_types = [j for name in types for j in _TYPES[name]]
        out["type"] = json_types[0] if len(json_types) == 1 else json_types
    if rules.get("empty") is False and types and "string" in types:
        out["minLength"] = 1
    if "allowed" in rules:
        out["enum"] = list(rules["allowed"])
    if "maxlength" in rules and types:
        out["maxItems" if "list" in types else "maxProperties"] = rules["maxlength"]
    if "regex" in rules:
        out["pattern"] = f"^(?:{rules['regex']})$"
    schema = rules.get("schema")
    if isinstance(schema, dict) and types and "dict" in types and all(isinstance(v, dict) for v in schema.values()):
        out.update(mapping(schema))
    elif isinstance(schema, dict) and types and "list" in types:
        out["items"] = from_cerberus(schema)
    if "keysrules" in rules:
        keys = rules["keysrules"]
        if "regex" in keys:
            out["propertyNames"] = {"pattern": f"^(?:{keys['regex']})$"}
        elif "allowed" in keys:
            out["propertyNames"] = {"enum": list(keys["allowed"])}
    if "valuesrules" in rules:
        out["additionalProperties"] = from_cerberus(rules["valuesrules"])
    return out


def mapping(fields: dict) -> dict:
    """A cerberus mapping schema: known keys only, required ones listed."""
    out = {"type": "object", "properties": {key: from_cerberus(value) for key, value in fields.items()},
           "additionalProperties": False}
    required = [key for key, value in fields.items() if value.get("required")]
    if required:
        out["required"] = required
    return out


def document_schema(fields: dict, title: str) -> dict:
    return {"$schema": DRAFT, "title": title, **mapping(fields)}


def fact_schema(fact_type: t.Type, label: str) -> dict:
    """How a case file writes a value of this type (see interpreter/cases.py)."""
    if fact_type == t.DATE:
        out = {"type": "string", "pattern": DATE_PATTERN}
    elif fact_type == t.MONEY:
        out = {"type": ["number", "string"], "pattern": r"^€?\s*-?\d+(\.\d+)?$"}
    elif fact_type == t.NUMBER:
        # like money, a number may be written as a decimal text ("1.5"), which keeps it exact
        out = {"type": ["number", "string"], "pattern": r"^-?\d+(\.\d+)?$"}
    elif fact_type == t.PERCENT:
        out = {"type": "string", "pattern": r"^-?\d+(\.\d+)?\s*%$"}
    elif fact_type == t.BOOL:
        out = {"type": "boolean"}
    elif fact_type == t.DURATION:
        out = {"type": "string", "pattern": r"^\d+\s+" + UNIT_PATTERN + "$"}
    elif isinstance(fact_type, t.EnumType):
        out = {"enum": list(fact_type.members)}
    elif isinstance(fact_type, t.SetType):
        out = {"type": "array", "items": {"enum": list(fact_type.enum.members)}, "uniqueItems": True}
    else:
        out = {"type": "string"}
    return {"description": label, **out}


def case_schema(vocabulary) -> dict:
    properties = {name: fact_schema(fact.type, fact.label) for name, fact in vocabulary.facts.items()}
    # Not a fact: the date whose rules apply to the case, when it is not its reference fact.
    properties[RULES_ON] = fact_schema(t.DATE, "the date whose rules apply (edition and dated values)")
    return {"$schema": DRAFT, "title": "Case: the facts of one client's trajectory", "type": "object",
            "properties": properties, "additionalProperties": False}


def all_schemas(vocabulary) -> dict[str, dict]:
    """Every schema an editor needs, by file name."""
    card = document_schema(s.CARD, "Product card")
    tests = document_schema(s.TEST_FILE, "YAML test cases of a card")
    # Facts written inside a card or a test file follow the case schema, so editors complete them too.
    card["properties"]["example"]["properties"]["facts"] = {"$ref": CASE_FILE}
    tests["properties"]["cases"]["items"]["properties"]["facts"] = {"$ref": CASE_FILE}
    family = document_schema(s.FAMILY, "Product family")
    for document in (card, family):
        _payment_forms(document)
    return {
        "card.schema.json": card,
        "family.schema.json": family,
        "tests.schema.json": tests,
        CASE_FILE: case_schema(vocabulary),
        RESULT_FILE: result_schema(),
    }


def _payment_forms(document: dict) -> None:
    """A payment is a split or a schedule, complete: the loader says so in words, an editor while typing."""
    payment = document["properties"]["payments"]["additionalProperties"]
    payment["oneOf"] = [{"required": ["base", "parts"], "not": {"anyOf": [{"required": ["schedule"]},
                                                                          {"required": ["amount"]}]}},
                        {"required": ["schedule", "amount"], "not": {"anyOf": [{"required": ["base"]},
                                                                               {"required": ["parts"]}]}}]


def render(schemas: dict[str, dict]) -> dict[str, str]:
    return {name: json.dumps(schema, ensure_ascii=False, indent=2) + "\n" for name, schema in schemas.items()}


def write_schemas(vocabulary, out_dir: Path) -> list[Path]:
    """Write the schemas; each file is written whole (temporary file, then rename)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render(all_schemas(vocabulary)).items():
        target = out_dir / name
        write_whole(target, text)
        written.append(target)
    return written


# -- the result contract: what `catalogue evaluate --format json`, the API, batch rows and the service give

RESULT_FILE = "result.schema.json"
_DATE_OR_NULL = {"type": ["string", "null"], "pattern": DATE_PATTERN}
_MONEY_TEXT = {"type": "string", "pattern": r"^-?\d+\.\d{2}$"}
_FACTS = {"type": "array", "items": {"type": "string"}, "uniqueItems": True}


def _item(required: dict, description: str, optional: dict | None = None) -> dict:
    return {"type": "object", "description": description,
            "properties": {"id": {"type": "string"}, "label": {"type": "string"}, **required,
                           "missing": {"$ref": "#/$defs/Missing"}, "source": {"$ref": "#/$defs/Source"},
                           **(optional or {})},
            "required": ["id", "label", *required, "missing", "source"], "additionalProperties": False}


# Present, and true, only on a value or check that rests on a 'circa' value: such a check never fails.
_INDICATIVE = {"const": True, "description": "rests on an indicative ('circa') value; a check never fails on it"}
_INSTALMENTS = {
    "type": "array", "description": "only on a payment with a schedule: each period's payment, in arrears",
    "items": {"type": "object", "properties": {
        "sequence": {"type": "integer", "minimum": 1},
        "date": {"type": "string", "pattern": DATE_PATTERN, "description": "the day it falls due: its period's end"},
        "period": {"type": "object", "properties": {"start": {"type": "string", "pattern": DATE_PATTERN},
                                                    "end": {"type": "string", "pattern": DATE_PATTERN}},
                   "required": ["start", "end"], "additionalProperties": False},
        "amount": {"anyOf": [_MONEY_TEXT, {"type": "null"}]},
        "status": {"enum": ["pending", "due"]}},
        "required": ["sequence", "date", "period", "amount", "status"], "additionalProperties": False}}


def result_schema() -> dict:
    """The JSON Schema of one evaluation result (docs/api.md explains every field)."""
    from ..results import SCHEMA_VERSION, VALUE_TYPES

    typed = [{"properties": {"type": {"const": name}, "value": {"anyOf": [shape, {"type": "null"}]}}}
             for name, shape in (
                 ("date", {"type": "string", "pattern": DATE_PATTERN}), ("money", _MONEY_TEXT),
                 ("percentage", {"type": "string", "pattern": r"^-?\d+(\.\d+)?%$"}),
                 ("number", {"type": "string", "pattern": r"^-?\d+(\.\d+)?$"}),
                 ("duration", {"type": "string"}), ("text", {"type": "string"}), ("yes/no", {"type": "boolean"}),
                 ("list of dates", {"type": "array", "items": {"type": "string", "pattern": DATE_PATTERN}}),
                 ("choice", {"type": "string"}),
                 ("list of choices", {"type": "array", "items": {"type": "string"}}))]
    defs = {
        "Missing": {**_FACTS, "description": "the facts that would make this item known (fact ids, sorted)"},
        "Source": {"type": ["object", "null"], "description": "where the rule comes from",
                   "properties": {"document": {"type": "string", "description": "the source document's file name"},
                                  "title": {"type": "string", "description": "its title (catalogue.yaml documents:)"},
                                  "section": {"type": "string"}, "quote": {"type": ["string", "null"]}},
                   "required": ["document", "title", "section", "quote"], "additionalProperties": False},
        "Value": {"type": "object", "description": "a parameter's or value's result, with its type",
                  "properties": {"type": {"enum": sorted({*VALUE_TYPES.values(), "choice", "list of choices"})},
                                 "value": {}, "missing": {"$ref": "#/$defs/Missing"}, "indicative": _INDICATIVE},
                  "required": ["type", "value", "missing"], "additionalProperties": False,
                  "oneOf": typed},
    }
    return {
        "$schema": DRAFT, "$id": RESULT_FILE, "title": "The result of evaluating one product for one case",
        "type": "object",
        "properties": {
            "schema_version": {"const": SCHEMA_VERSION},
            "product": {"type": "string"}, "title": {"type": "string"}, "edition": {"type": "string"},
            "as_of": {"type": "string", "pattern": DATE_PATTERN},
            "rules_on": {"type": "string", "pattern": DATE_PATTERN},
            "deadlines": {"type": "array", "items": _item({
                "date": _DATE_OR_NULL,
                "status": {"enum": ["open", "met", "overdue", "unknown", "late", "lapsed"]},
                "done_on": _DATE_OR_NULL}, "a deadline: its date and whether it is met")},
            "payments": {"type": "array", "items": _item({
                "payment": {"type": "string", "description": "the split this part belongs to"},
                "status": {"enum": ["unknown", "pending", "due"]},
                "share": {"type": ["string", "null"], "pattern": r"^-?\d+(\.\d+)?%$"},
                "amount": {"anyOf": [_MONEY_TEXT, {"type": "null"}]},
                "trigger": {"type": ["object", "null"],
                            "properties": {"fact": {"type": ["string", "null"]}, "label": {"type": "string"}},
                            "required": ["fact", "label"], "additionalProperties": False},
                "date": _DATE_OR_NULL}, "a part of a payment split, or a payment in instalments",
                optional={"instalments": _INSTALMENTS})},
            "reports": {"type": "array", "items": _item({
                "date": _DATE_OR_NULL, "sequence": {"type": ["integer", "null"], "minimum": 1}},
                "one report date (a schedule gives one entry per date)")},
            "checks": {"type": "array", "items": _item({
                "passed": {"type": ["boolean", "null"]}, "message": {"type": ["string", "null"]}},
                "a check on the case", optional={"indicative": _INDICATIVE})},
            "values": {"type": "object", "additionalProperties": {"$ref": "#/$defs/Value"}},
            "missing": _FACTS,
            "not_applicable": {"type": "array", "items": {"type": "string"}},
            "receipt": {"type": "object", "properties": {"engine": {"type": "string"},
                                                         "catalogue_hash": {"type": "string"}},
                        "required": ["engine", "catalogue_hash"]},
            "trace": {"type": "array", "items": {"type": "object"}, "description": "only with explain"},
            # A batch row is this object with the row's number and id in front, and without the receipt,
            # which the run gives once.
            "row": {"type": "integer", "minimum": 1, "description": "batch rows only: the case's row"},
            "id": {"description": "batch rows only: the case's id, as the input wrote it"},
        },
        "required": ["schema_version", "product", "title", "edition", "rules_on", "as_of", "deadlines", "payments",
                     "reports", "checks", "values", "missing", "not_applicable"],
        "additionalProperties": False,
        "$defs": defs,
    }
