"""The structure of every catalogue file as strict cerberus schemas, and errors a person can act on."""
from __future__ import annotations

from decimal import Decimal

from cerberus import TypeDefinition, Validator, errors

from .errors import SchemaError, did_you_mean
from .limits import (FIRST_DATE, LAST_DATE, MAX_EASTER_OFFSET, MAX_HOLIDAYS, MAX_SUNDAY_SHIFT, MAX_TABLE_COLUMNS,
                     MAX_TABLE_ROWS)
from .yamlsource import Document

RULE_ID = r"[a-z][a-z0-9_]*"


class _Collector(errors.BaseErrorHandler):
    """Hand back the leaf errors themselves; we word them ourselves."""

    def __call__(self, found):
        leaves = []

        def walk(items):
            for error in items:
                if error.is_group_error and error.child_errors:
                    walk(error.child_errors)
                else:
                    leaves.append(error)

        walk(found)
        return leaves


class CatalogueValidator(Validator):
    types_mapping = Validator.types_mapping.copy()
    # An expression may be written as a bare number or word in YAML: accept any scalar.
    types_mapping["scalar"] = TypeDefinition("scalar", (str, int, Decimal, bool), ())
    types_mapping["decimal"] = TypeDefinition("decimal", (Decimal,), ())


def _expr(required: bool = False) -> dict:
    return {"type": "scalar", "required": required, "nullable": False, "empty": False}


TEXT = {"type": "string", "empty": False}
DATE = {"type": "scalar"}
REQUIRED_DATE = {**DATE, "required": True}

CITATION = {"type": "dict", "schema": {
    "document": {**TEXT},
    "section": {**TEXT, "required": True},
    "quote": {"type": ["string", "list"], "empty": False, "schema": {**TEXT}},
}}

_COMMON = {
    "label": {**TEXT, "required": True},
    "source": CITATION,
    "when": _expr(),
    "note": TEXT,
}

# A card's rule that replaces its family's rule of the same id says why: `overrides: <reason>`.
OVERRIDES = {"overrides": {**TEXT}}

PARAMETER = {**_COMMON, **OVERRIDES,
             "value": {"type": ["scalar", "dict"], "required": True, "keysrules": {"type": "string"},
                       "valuesrules": _expr()},
             "valid_until": DATE}
VALUE = {**_COMMON, **OVERRIDES, "value": _expr(True)}
DEADLINE = {**_COMMON, **OVERRIDES, "due": _expr(True), "met_by": _expr(),
            "roll": {"type": "string", "allowed": ["next_working_day", "none"]},
            # A right, not a duty (e.g. "kan ... aanvragen"): open, met, late, or lapsed when unused.
            "optional": {"type": "boolean"}}
PAYMENT_PART = {"label": {**TEXT, "required": True}, "source": CITATION, "note": TEXT,
                "share": _expr(True), "on": _expr()}
# A payment is a split (base: and parts:) or a schedule (schedule: every ... and amount: per period);
# interpreter/loader.py says which of the two is incomplete.
PAYMENT = {**_COMMON, "base": _expr(),
           "parts": {"type": "dict", "empty": False, "keysrules": {"regex": RULE_ID},
                     "valuesrules": {"type": "dict", "schema": PAYMENT_PART}},
           "schedule": _expr(), "amount": _expr()}
REPORT = {**_COMMON, **OVERRIDES, "date": _expr(True),
          "roll": {"type": "string", "allowed": ["next_working_day", "none"]}}
CHECK = {**_COMMON, **OVERRIDES, "test": _expr(True), "message": TEXT}


def _section(rule_schema: dict) -> dict:
    return {"type": "dict", "keysrules": {"type": "string", "regex": RULE_ID},
            "valuesrules": {"type": "dict", "schema": rule_schema}}


RULE_SECTIONS = {
    "parameters": _section(PARAMETER), "values": _section(VALUE), "deadlines": _section(DEADLINE),
    "payments": _section(PAYMENT), "reports": _section(REPORT), "checks": _section(CHECK),
}

# A decision table: inputs (yes/no or choice expressions), outputs (each becomes a value of the card)
# and one row per rule, its cells in column order: the inputs' tests, then the outputs' expressions.
TABLE = {"label": {**TEXT, "required": True}, "source": CITATION, "when": _expr(), "note": TEXT,
         "hit": {"type": "string", "allowed": ["unique", "first"]},
         "inputs": {"type": "dict", "required": True, "empty": False, "maxlength": MAX_TABLE_COLUMNS,
                    "keysrules": {"type": "string", "regex": RULE_ID}, "valuesrules": _expr()},
         "outputs": {"type": "dict", "required": True, "empty": False, "maxlength": MAX_TABLE_COLUMNS,
                     "keysrules": {"type": "string", "regex": RULE_ID}, "valuesrules": {**TEXT}},
         "rows": {"type": "list", "required": True, "empty": False, "maxlength": MAX_TABLE_ROWS,
                  "schema": {"type": "list", "schema": _expr()}}}
# A lookup: for every member of a list of choices (`key`), a value of each typed field.
LOOKUP = {"label": {**TEXT, "required": True}, "source": CITATION, "note": TEXT,
          "key": {**TEXT, "required": True, "regex": RULE_ID},
          "fields": {"type": "dict", "required": True, "empty": False, "keysrules": {"type": "string", "regex": RULE_ID},
                     "valuesrules": {"type": "dict", "schema": {"type": {**TEXT, "required": True},
                                                                 "label": {**TEXT, "required": True}}}},
          "entries": {"type": "dict", "required": True, "empty": False, "keysrules": {"type": "string"},
                      "valuesrules": {"type": "dict", "keysrules": {"type": "string"}, "valuesrules": _expr()}}}
TABLE_SECTIONS = {"tables": _section(TABLE), "lookups": _section(LOOKUP)}

ASSUMPTIONS = {"type": "list", "schema": {"type": "dict", "schema": {
    "id": {**TEXT, "required": True, "regex": RULE_ID},
    "text": {**TEXT, "required": True},
    "applies_to": {"type": "list", "schema": {"type": "string"}},
}}}

# The keys of a card's description are the catalogue's own: catalogue.yaml `descriptions:` lists
# them, the loader holds each card to that list and the sheet templates (headings.j2) head them.
DESCRIPTION = {"type": "dict", "keysrules": {"type": "string", "regex": RULE_ID},
               "valuesrules": {"type": ["string", "list"], "schema": {"type": "string"}}}

CARD = {
    "code": {**TEXT, "required": True, "regex": r"[A-Z0-9][A-Z0-9-]*"},
    "title": {**TEXT, "required": True},
    "family": TEXT,
    "source": {**CITATION, "required": True},
    "edition": {"type": "dict", "required": True, "schema": {
        "name": {**TEXT, "required": True}, "valid_from": DATE, "valid_until": DATE}},
    "calendar": TEXT,
    "description": DESCRIPTION,
    "assumptions": ASSUMPTIONS,
    # The worked example of the product sheet: a case evaluated by the interpreter.
    "example": {"type": "dict", "schema": {"as_of": REQUIRED_DATE, "rules_on": DATE,
                                           "facts": {"type": "dict", "required": True}}},
    **RULE_SECTIONS,
    **TABLE_SECTIONS,
}

FAMILY = {
    "family": {**TEXT, "required": True, "regex": r"[a-z][a-z0-9_-]*"},
    "title": {**TEXT, "required": True},
    "extends": TEXT,
    # The date fact whose rules apply to a case (its edition, its effective-dated values).
    "reference_fact": {**TEXT, "regex": RULE_ID},
    "source": {**CITATION, "required": True},
    "calendar": TEXT,
    "assumptions": ASSUMPTIONS,
    **RULE_SECTIONS,
    **TABLE_SECTIONS,
}

CALENDAR = {
    "calendar": {**TEXT, "required": True},
    "title": {**TEXT, "required": True},
    "source": TEXT,
    "weekend": {"type": "list", "required": True, "schema": {
        "type": "string", "allowed": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                                      "sunday"]}},
    "holidays": {"type": "list", "required": True, "maxlength": MAX_HOLIDAYS, "schema": {"type": "dict", "schema": {
        "name": {**TEXT, "required": True},
        "date": {"type": "string", "regex": r"[0-9]{2}-[0-9]{2}", "excludes": "easter"},
        "easter": {"type": "integer", "excludes": "date", "min": -MAX_EASTER_OFFSET, "max": MAX_EASTER_OFFSET},
        "if_sunday": {"type": "integer", "min": -MAX_SUNDAY_SHIFT, "max": MAX_SUNDAY_SHIFT},
        "from_year": {"type": "integer", "min": FIRST_DATE.year, "max": LAST_DATE.year},
        "until_year": {"type": "integer", "min": FIRST_DATE.year, "max": LAST_DATE.year},
        "note": TEXT,
    }}},
    # Art. 3 lid 3 Algemene termijnenwet: days a decree equates with the holidays, each with its decree.
    "decreed": {"type": "list", "maxlength": MAX_HOLIDAYS, "schema": {"type": "dict", "schema": {
        "date": REQUIRED_DATE,
        "name": {**TEXT, "required": True},
        "decree": {**TEXT, "required": True},
    }}},
    "assumptions": ASSUMPTIONS,
}

VOCABULARY = {
    "enums": {"type": "dict", "required": True, "keysrules": {"type": "string", "regex": RULE_ID},
              "valuesrules": {"type": "dict", "schema": {
                  "label": {**TEXT, "required": True},
                  "members": {"type": "dict", "required": True, "empty": False,
                              "valuesrules": {"type": "string"}}}}},
    "facts": {"type": "dict", "required": True, "keysrules": {"type": "string", "regex": RULE_ID},
              "valuesrules": {"type": "dict", "schema": {
                  "type": {**TEXT, "required": True},
                  "label": {**TEXT, "required": True},
                  # How the fact reads inside a Dutch sentence on a sheet ("de datum van aanmelding").
                  "phrase": TEXT,
                  # A date that closes a duration opened by another date fact (the timeline draws it).
                  "span_from": {"type": "string", "regex": RULE_ID},
                  # The sign rule of a money or number fact: a case value below it is refused.
                  "minimum": {"type": ["integer", "decimal"]},
                  "note": TEXT}}},
}

# A noun of words.yaml: one lower-case word; a compound's last part is found by the grammar itself.
_NOUN = {"type": "string", "regex": r"[a-zà-öø-ÿ]+", "maxlength": 60}
_NOUNS = {"type": "list", "schema": _NOUN, "maxlength": 10_000}
WORDS = {
    "nouns": {"type": "dict", "schema": {
        # Nouns that take 'het'; a compound ending in one takes it too (drempelbedrag, re-integratieplan).
        "het": _NOUNS,
        # 'het' nouns too short to look for at the end of a compound (uur: not in 'natuur').
        "het_whole": _NOUNS,
        # Nouns that end in -en and are singular (the plural of most Dutch nouns ends in -en).
        "singular_en": _NOUNS,
    }},
}

SETTINGS = {
    "catalogue": {**TEXT, "required": True},
    "default_calendar": {**TEXT, "required": True},
    "sources": TEXT,
    # The headings a card's description may have, in the order an editor offers them.
    "descriptions": {"type": "list", "maxlength": 100, "schema": {"type": "string", "regex": RULE_ID}},
    # The title of each source document by its file name: sheets name a source by its title.
    "documents": {"type": "dict", "keysrules": {"type": "string"}, "valuesrules": {"type": "string"}},
}

TEST_FILE = {
    "product": {**TEXT, "required": True},
    "cases": {"type": "list", "required": True, "schema": {"type": "dict", "schema": {
        "name": {**TEXT, "required": True},
        "source": TEXT,
        "as_of": REQUIRED_DATE,
        "rules_on": DATE,
        "facts": {"type": "dict", "required": True},
        "expect": {"type": "dict", "required": True, "schema": {
            "deadlines": {"type": "dict"}, "payments": {"type": "dict"}, "reports": {"type": "dict"},
            "checks": {"type": "dict"}, "values": {"type": "dict"}, "missing": {"type": "list"},
            "not_applicable": {"type": "list"}}},
    }}},
}

_SCALAR_WORDS = {"string": "a text", "scalar": "a single value (text or number)", "dict": "a block of keys",
                 "list": "a list ('- ' items)", "integer": "a whole number", "boolean": "true or false"}


def validate(document: Document, schema: dict, what: str) -> list[SchemaError]:
    """Check a document against a schema; every problem becomes a SchemaError at its place."""
    if not isinstance(document.data, dict):
        return [SchemaError(f"a {what} file must be a block of 'key: value' lines", document.position(()))]
    validator = _validator(schema)
    # No schema here fills in defaults or converts values, so cerberus's normalization pass (most
    # of its time, with a copy of the schema per nested mapping) would change nothing.
    if validator.validate(document.data, normalize=False):
        return []
    return [_explain(error, document, schema, what) for error in validator.errors]


_VALIDATORS: dict[int, tuple[dict, "CatalogueValidator"]] = {}


def _validator(schema: dict) -> "CatalogueValidator":
    """One validator per schema, reused: cerberus checks a schema itself each time one is built."""
    known = _VALIDATORS.get(id(schema))
    if known is None or known[0] is not schema:
        known = _VALIDATORS[id(schema)] = (schema, CatalogueValidator(schema, error_handler=_Collector))
    return known[1]


def _schema_at(schema: dict, schema_path: tuple) -> dict:
    """The field definitions of the schema level an error happened in."""
    node = schema
    for step in schema_path:
        if isinstance(node, dict) and step in node:
            node = node[step]
        else:
            break
    return node if isinstance(node, dict) else {}


def _where(path: tuple) -> str:
    """A path as a reader says it: deadlines.plan_due, or assumptions (item 2).applies_to."""
    if not path:
        return "the top level"
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f" (item {part + 1})"
        else:
            text += ("." if text else "") + str(part)
    return text


def _named(path: tuple) -> str:
    """The last step of a path: 'label', or item 2 for the second entry of a list."""
    if path and isinstance(path[-1], int):
        return f"item {path[-1] + 1}"
    return f"'{path[-1]}'" if path else "the file"


# What a value of a field must look like, for fields with a pattern.
_PATTERN_HINTS = {
    RULE_ID: "names use lower-case letters, digits and '_', starting with a letter",
    r"[A-Z0-9][A-Z0-9-]*": "a product code uses capital letters, digits and '-', like 12XY or AB-3",
    r"[a-z][a-z0-9_-]*": "a family name uses lower-case letters, digits, '-' and '_', like my-family",
    r"[0-9]{2}-[0-9]{2}": "write a day of the year as month-day with two digits each, like 12-25",
}


def _explain(error, document: Document, schema: dict, what: str) -> SchemaError:
    path = tuple(error.document_path)
    name = str(path[-1]) if path else ""
    parent = path[:-1]
    if error.code == errors.UNALLOWED_VALUE.code and error.schema_path and "keysrules" in error.schema_path:
        # A key outside a fixed list (the headings of a description): an unknown key, said as such.
        allowed = [str(c) for c in error.constraint]
        return SchemaError(f"unknown key '{name}' in {_where(parent)}; allowed here: {', '.join(allowed)}",
                           document.key_position(path), hint=did_you_mean(name, allowed) or None)
    if error.code == errors.UNKNOWN_FIELD.code:
        allowed = sorted(_schema_at(schema, error.schema_path).keys())
        hint = did_you_mean(name, allowed) or None
        allowed_text = ", ".join(allowed) if allowed else "none"
        message = f"unknown key '{name}' in {_where(parent)}; allowed here: {allowed_text}"
        if _known_elsewhere(name):
            # An exact key of another level beats a look-alike here: the indentation is off.
            hint = f"'{name}' is a valid key, but not at this place: check the indentation"
        return SchemaError(message, document.key_position(path), hint)
    if error.code == errors.REQUIRED_FIELD.code:
        return SchemaError(f"'{name}' is missing in {_where(parent)}", document.key_position(parent),
                           hint=f"add a line '{name}: ...' to this block")
    if error.code == errors.BAD_TYPE.code:
        wanted = error.constraint if isinstance(error.constraint, list) else [error.constraint]
        words = " or ".join(_SCALAR_WORDS.get(w, w) for w in wanted)
        if wanted == ["dict"] and not isinstance(error.value, dict) and _known_elsewhere(name) \
                and len(parent) == 1 and parent[0] in RULE_SECTIONS:
            # `met_by:` indented like a rule name: it belongs to the rule above.
            return SchemaError(
                f"'{name}' stands among the names of the {parent[0]}, but it is a key of a rule",
                document.key_position(path),
                hint=f"'{name}' is a valid key, but not at this place: check the indentation; "
                     "indent it as far as the 'label:' of the rule it belongs to")
        hint = "check the indentation and the '- ' marks of this entry"
        if isinstance(error.value, list) and "list" not in wanted:
            hint = (f"write the entries of {_named(path)} as 'name:' lines, not as a list of '- ' items"
                    if "dict" in wanted else f"write a single value for {_named(path)}, not a list of '- ' items")
        elif isinstance(error.value, dict) and "dict" not in wanted and "rows" in path[:-2]:
            hint = 'put a set of choices in a row in double quotes: "{WGA, ZW}"'
        elif isinstance(error.value, dict) and "dict" not in wanted:
            hint = (f"{_named(path)} has keys under it, but should be a single value: write the value after "
                    "the colon, or check the indentation of the lines below it")
        elif path and path[-1] == "overrides":
            hint = "after 'overrides:' comes the reason why this card replaces its family's rule, in words"
        elif isinstance(error.value, (bool, int, Decimal)) and "string" in wanted:
            hint = "YAML reads this as a number or as true/false; put it in double quotes to make it a text"
        return SchemaError(f"{_named(path)} in {_where(parent)} must be {words}", document.position(path),
                           hint=hint)
    if error.code in (errors.EMPTY_NOT_ALLOWED.code, errors.NOT_NULLABLE.code):
        return SchemaError(f"{_named(path)} in {_where(parent)} is empty", document.position(path),
                           hint="write a value after the colon")
    if error.code == errors.UNALLOWED_VALUE.code:
        place = f"in {_where(parent)}" if path and isinstance(path[-1], int) else f"for '{name}'"
        return SchemaError(f"'{error.value}' is not allowed {place}; use one of: "
                           + ", ".join(str(c) for c in error.constraint), document.position(path),
                           hint=did_you_mean(error.value, error.constraint) or None)
    if error.code == errors.REGEX_MISMATCH.code:
        if error.schema_path and "keysrules" in error.schema_path:
            return SchemaError(f"'{name}' is not a valid name in {_where(parent)}", document.key_position(path),
                               hint=_PATTERN_HINTS.get(error.constraint, _PATTERN_HINTS[RULE_ID]))
        return SchemaError(f"'{error.value}' is not valid for {_named(path)} in {_where(parent)}",
                           document.position(path), hint=_PATTERN_HINTS.get(error.constraint))
    if error.code == errors.EXCLUDES_FIELD.code:
        return SchemaError(f"'{name}' cannot be combined with '{error.constraint}' in {_where(parent)}",
                           document.key_position(path))
    if error.code in (errors.MIN_VALUE.code, errors.MAX_VALUE.code):
        bound = "at least" if error.code == errors.MIN_VALUE.code else "at most"
        return SchemaError(f"{_named(path)} in {_where(parent)} is {error.value}, but must be {bound} "
                           f"{error.constraint}", document.position(path))
    if error.code == errors.MAX_LENGTH.code:
        return SchemaError(f"{_where(path)} has {len(error.value):,} entries, at most {error.constraint:,}",
                           document.position(path))
    return SchemaError(f"{_where(path)}: not valid here ({error.rule})", document.position(path))


def _known_elsewhere(name: str) -> bool:
    keys = set()

    def collect(schema):
        if isinstance(schema, dict):
            for key, value in schema.items():
                if isinstance(value, dict):
                    keys.add(key)
                    collect(value.get("schema"))
                    collect(value.get("valuesrules", {}).get("schema") if isinstance(value.get("valuesrules"), dict) else None)

    for schema in (CARD, FAMILY):
        collect(schema)
    return name in keys
