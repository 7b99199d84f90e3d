"""The case page at `/` of the service: a Dutch form per product, its result as timeline and tables, and why."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import jinja2
from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from . import nodes as n
from . import types as t
from .sheets import RenderError, expression, rule_sentence
from .sheets.words import STATUS_WORDS, bool_text, capitalize, date_text, duration_text, money_text, number_text
from .errors import CatalogueError, LookupProblem
from .model import Product
from .results import Result, type_name
from .values import describe_value
from .timeline import timeline_of
from .wire import Problem, convert_facts, facts_read, parse_day, read_body  # the API's own checks and bounds

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates" / "casepage"
ASSETS = HERE / "static"
ASSET_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
FORM = "application/x-www-form-urlencoded"
HTML = "text/html; charset=utf-8"
# Inline style only for the timeline SVG's own <style>; no script or asset from anywhere else.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
}
# A date, an amount or a choice's name is far shorter: a longer value is refused before it is read.
MAX_VALUE_CHARS = 100
# The two dates of an evaluation are fields of the form too, beside the product's facts.
AS_OF, RULES_ON = "as_of", "rules_on"
# How far "why" follows the rules a result refers to.
MAX_WHY_BLOCKS = 40
KIND_HINTS = {"date": "datum", "money": "bedrag in euro, bijv. 4000 of 4000,50", "number": "getal, bijv. 2 of 2,5",
              "percentage": "percentage, bijv. 60%", "duration": "duur, bijv. 26 weeks", "text": "tekst",
              "yes/no": "ja of nee", "choice": "kies één", "list of choices": "kies er één of meer"}
# The parts of a rule (its expressions' slots on the card), as the trace names them.
PART_WORDS = {"value": "waarde", "due": "termijn", "met_by": "gehaald met", "when": "van toepassing",
              "base": "grondslag", "share": "aandeel", "on": "moment van betaling", "test": "toets",
              "date": "data"}
MAIN_PARTS = ("value", "due", "base", "test", "date")
CHECK_WORDS = {True: "voldaan", False: "niet voldaan", None: "nog open"}
INDICATION_WORDS = {True: "voldaan (indicatie)", False: "indicatie niet gehaald (geen fout)"}
WEEKDAY_WORDS = {"monday": "maandag", "tuesday": "dinsdag", "wednesday": "woensdag", "thursday": "donderdag",
                 "friday": "vrijdag", "saturday": "zaterdag", "sunday": "zondag"}
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")
_ROLLED = re.compile(r"(\d{4}-\d{2}-\d{2}) is not a working day \(([^)]*)\): rolled to (\d{4}-\d{2}-\d{2})")
_NEXT = re.compile(r"(\d{4}-\d{2}-\d{2}) is not a working day: next working day is (\d{4}-\d{2}-\d{2})")
_DURATION = re.compile(r"(-?[0-9]+) ((?:working )?(?:day|week|month|year))s?")  # values.Duration's text
_DUTCH_DECIMAL = re.compile(r"(€?\s*-?[0-9]+),([0-9]+)")


@dataclass
class Field:
    """One input of the form: a fact the product reads (or one of the evaluation's two dates)."""

    name: str
    label: str
    kind: str                       # a type name of the result contract: date, money, choice, ...
    hint: str
    choices: list[tuple[str, str]] = field(default_factory=list)   # (name, Dutch label)
    value: Any = ""                 # as entered: text, or a list of names for a set
    error: str | None = None
    error_hint: str | None = None


@dataclass
class Problems:
    """What is wrong with a submitted form: per field, and for the form as a whole."""

    fields: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    page: list[str] = field(default_factory=list)

    def add(self, name: str, message: str, hint: str | None = None) -> None:
        self.fields.setdefault(name, (message, hint))

    def __bool__(self) -> bool:
        return bool(self.fields or self.page)


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                     undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    environment.filters["datum"] = date_text
    environment.filters["bedrag"] = money_text
    return environment


# -- the form ------------------------------------------------------------------------------------

def form_fields(engine, product: Product) -> list[Field]:
    """The inputs of a product's form: every fact it reads, in the order of the vocabulary."""

    vocabulary = engine.catalogue.vocabulary
    read = facts_read(product)
    return [fact_field(vocabulary.facts[name], vocabulary) for name in vocabulary.facts if name in read]


def fact_field(fact, vocabulary) -> Field:
    kind = type_name(fact.type)
    phrase = " ".join((fact.phrase or fact.label).split())
    label = f"Klopt het dat {phrase}?" if kind == "yes/no" else capitalize(phrase)
    enum = fact.type.enum if isinstance(fact.type, t.SetType) else fact.type
    choices = []
    if isinstance(enum, t.EnumType):
        labels = vocabulary.enum_labels.get(enum.name, {})
        choices = [(member, str(labels.get(member, member))) for member in enum.members]
    short = " ".join(fact.label.split())
    hint = KIND_HINTS.get(kind, kind) + ("" if short.lower() == phrase.lower() else f" — {short}")
    return Field(fact.name, label, kind, hint, choices, [] if kind == "list of choices" else "")


def date_fields(product: Product, vocabulary) -> list[Field]:
    """The two dates of a case; the hint for 'rules of' names the fact the product's family takes them from."""
    reference = vocabulary.facts.get(product.reference_fact or "")
    rules_default = f"de datum van {' '.join((reference.phrase or reference.label).split())}" if reference \
        else "de peildatum"
    return [Field(AS_OF, "Peildatum (de dag waarop de status wordt beoordeeld)", "date",
                  "datum; leeg: vandaag"),
            Field(RULES_ON, "Regels van (de dag waarvan de regels gelden)", "date",
                  f"datum; leeg: {rules_default}")]


def example_values(product: Product, vocabulary) -> dict[str, Any]:
    """The card's worked example as form values, so that a case worker can start from it."""
    values = {}
    for name, value in (product.example_facts or {}).items():
        fact = vocabulary.facts.get(name)
        percent = fact is not None and type_name(fact.type) == "percentage"
        values[name] = _form_text(value) + "%" if percent else _form_text(value)
    if product.example_as_of:
        values[AS_OF] = product.example_as_of.isoformat()
    if product.example_rules_on:
        values[RULES_ON] = product.example_rules_on.isoformat()
    return values


def _form_text(value: Any) -> Any:
    if isinstance(value, bool):
        return bool_text(value)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [str(item) for item in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_form(body: bytes, fields: list[Field], max_fields: int) -> tuple[dict[str, Any], Problems]:
    """The submitted values by field name, as entered; the problems of their shape (not yet their types)."""
    problems = Problems()
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=max_fields, errors="strict")
    except UnicodeDecodeError:
        problems.page.append("Het formulier is niet als UTF-8 verstuurd.")
        return {}, problems
    except ValueError:
        problems.page.append(f"Het formulier heeft meer dan {max_fields} velden.")
        return {}, problems
    by_name = {f.name: f for f in fields}
    entered: dict[str, Any] = {}
    for name, value in pairs:
        known = by_name.get(name)
        if known is None:
            if len(problems.page) < 5:
                problems.page.append(f"Onbekend veld '{name[:MAX_VALUE_CHARS]}': dit product leest dat gegeven niet.")
            continue
        if len(value) > MAX_VALUE_CHARS:
            problems.add(name, f"De waarde is {number_text(len(value))} tekens lang; "
                               f"hier passen er hoogstens {MAX_VALUE_CHARS}.")
            continue
        if known.kind == "list of choices":
            entered.setdefault(name, []).append(value)
        elif name in entered:
            problems.add(name, "Dit veld is meer dan eens ingevuld.")
        else:
            entered[name] = value
    return entered, problems


def raw_facts(entered: dict[str, Any], fields: list[Field], problems: Problems) -> dict[str, Any]:
    """The entered values as the API's JSON would carry them; empty fields are facts not known yet."""
    raw: dict[str, Any] = {}
    for f in fields:
        value = entered.get(f.name)
        if f.name in (AS_OF, RULES_ON) or f.name in problems.fields or value is None:
            continue
        if f.kind == "list of choices":
            items = [item for item in value if item.strip()]
            if items:
                raw[f.name] = items
            continue
        value = value.strip()
        if not value:
            continue
        if f.kind == "yes/no":
            if value.lower() not in ("ja", "nee"):
                problems.add(f.name, f"'{value}' is geen ja of nee.", "kies ja of nee")
                continue
            raw[f.name] = value.lower() == "ja"
        elif f.kind in ("money", "number", "percentage"):
            # A Dutch decimal comma is read as the decimal point; a thousands separator is not guessed at.
            raw[f.name] = _DUTCH_DECIMAL.sub(r"\1.\2", value) if "." not in value else value
        else:
            raw[f.name] = value
    return raw


def checked_case(engine, settings, entered: dict[str, Any], fields: list[Field], problems: Problems):
    """Typed facts and the two dates, by the API's own checks; their problems go next to their fields."""

    raw = raw_facts(entered, fields, problems)
    found: list[dict] = []
    facts = convert_facts(raw, engine, settings, found)
    as_of = parse_day(entered.get(AS_OF, "").strip() or None, "/" + AS_OF, settings, found)
    rules_on = parse_day(entered.get(RULES_ON, "").strip() or None, "/" + RULES_ON, settings, found)
    kinds = {f.name: f.kind for f in fields}
    for entry in found:
        name = entry["pointer"].rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        detail = entry["message"] + (f"; {entry['hint']}" if entry.get("hint") else "")
        problems.add(name, dutch_problem(kinds.get(name, ""), entry["code"]), detail)
    return facts, as_of, rules_on


# The API's problems are in English, for programmers; the page says in Dutch what is wrong, and keeps
# the API's sentence beside it for the exact reason (a day that the month lacks, a digit too many).
DUTCH_PROBLEMS = {"date-out-of-range": "Deze datum ligt buiten de jaren die de dienst aanneemt.",
                  "number-out-of-range": "Dit getal is te groot of heeft te veel decimalen."}
DUTCH_BY_KIND = {"date": "Dit is geen geldige datum.", "money": "Dit is geen geldig bedrag.",
                 "number": "Dit is geen geldig getal.", "percentage": "Dit is geen geldig percentage.",
                 "choice": "Dit is geen van de keuzes.", "list of choices": "Dit is geen van de keuzes.",
                 "duration": "Dit is geen geldige duur."}


def dutch_problem(kind: str, code: str) -> str:
    return DUTCH_PROBLEMS.get(code) or DUTCH_BY_KIND.get(kind, "Deze waarde klopt niet.")


# -- the result ----------------------------------------------------------------------------------

def result_view(engine, product: Product, result: Result, facts: dict) -> dict[str, Any]:
    """Everything the page shows of a result, in Dutch, with the machine values beside the words."""
    vocabulary = engine.catalogue.vocabulary
    why = Explainer(engine, product, result)
    labels = {name: fact.label for name, fact in vocabulary.facts.items()}

    def missing(names) -> list[str]:
        return [labels.get(name, name) for name in names]

    def source(item) -> dict | None:
        citation = item.citation
        if citation is None:
            return None
        return {"section": citation.section, "quote": citation.quote, "document": result.edition}

    deadlines = [{"id": d.id, "label": d.label, "date": d.date, "status": d.status,
                  "status_text": STATUS_WORDS.get(d.status, d.status), "done_on": d.done_on,
                  "missing": missing(d.missing), "source": source(d), "why": why.of(d.id)} for d in result.deadlines]
    payments = [{"id": p.id, "label": p.label, "date": p.date, "amount": p.amount,
                 "share": None if p.share is None else f"{number_text(p.share)}%", "trigger": p.trigger,
                 "status": p.status, "status_text": STATUS_WORDS.get(p.status, p.status),
                 "instalments": instalments_view(p.instalments),
                 "missing": missing(p.missing), "source": source(p), "why": why.of(p.id)} for p in result.payments]
    reports = [{"id": r.id, "label": r.label, "date": r.date, "sequence": r.sequence, "missing": missing(r.missing),
                "source": source(r), "why": why.of(r.id)} for r in result.reports]
    checks = [{"id": c.id, "label": c.label, "passed": c.passed, "indicative": c.indicative,
               "status_text": check_status(c),
               # A failure says why; so does an indication not met, though it does not fail the check.
               "message": c.message if (c.passed is False or c.indicative) and c.message != c.label else None,
               "missing": missing(c.missing), "source": source(c), "why": why.of(c.id)} for c in result.checks]
    return {"result": result, "timeline": timeline_of(engine, result, facts, f"Tijdlijn {result.product}"),
            "deadlines": deadlines, "payments": payments, "reports": reports, "checks": checks,
            "missing": missing(result.missing), "indications": why.indications(result),
            "not_applicable": [product.rules[r].label if r in product.rules else r for r in result.not_applicable]}


def instalments_view(instalments) -> list[dict[str, Any]] | None:
    """The instalments of a payment with a schedule, each on its own line; None for a split."""
    if instalments is None:
        return None
    return [{"sequence": i.sequence, "date": i.date, "amount": i.amount, "period_start": i.period_start,
             "period_end": i.period_end, "status": i.status, "status_text": STATUS_WORDS.get(i.status, i.status)}
            for i in instalments]


def check_status(check) -> str:
    if check.indicative and check.passed is not None:
        # Resting on a 'circa' value, the check never fails: it says whether the indication holds.
        return INDICATION_WORDS[check.message is None]
    return CHECK_WORDS[check.passed]


@dataclass
class Block:
    """One rule's part of an explanation: what the rule says, the steps that gave its value, and where it is written."""

    title: str
    sentence: str | None
    steps: list[str]
    outcome: str
    location: str
    source: dict | None


class Explainer:
    """The engine's trace of one evaluation (explain=True), told in Dutch sentences, per result."""

    def __init__(self, engine, product: Product, result: Result):
        self.vocabulary = engine.catalogue.vocabulary
        self.product = product
        self.entries: dict[str, list[dict]] = {}
        for entry in result.trace:
            self.entries.setdefault(entry["rule"], []).append(entry)
        self.nodes: dict[str, n.Node] = {}
        for rule in product.rules.values():
            for expr in list(rule.exprs.values()) + [edition.expr for edition in rule.editions]:
                for node in n.walk(expr.node):
                    self.nodes.setdefault(str(node.pos), node)
        self.kept: dict[str, list[Block]] = {}
        self.indicative = result.indicative

    def indications(self, result: Result) -> list[dict[str, str]]:
        """The values of this case that rest on a 'circa' value: shown as such, as the source gives them."""
        shown = []
        for name in sorted(self.indicative & set(result.values), key=list(result.values).index):
            rule = self.product.rules.get(name)
            type_ = result.value_types.get(name)
            shown.append({"id": name, "label": capitalize(rule.label) if rule is not None and rule.label else name,
                          "value": self.value(describe_value(result.values[name], type_), type_)})
        return shown

    def of(self, rule_id: str) -> list[Block]:
        """The blocks that explain one result: its own rule first, then every rule it used, once each."""
        if rule_id not in self.kept:
            blocks, seen, todo = [], set(), [rule_id]
            while todo and len(blocks) < MAX_WHY_BLOCKS:
                current = todo.pop(0)
                if current in seen:
                    continue
                seen.add(current)
                for index, entry in enumerate(self.entries.get(current, [])):
                    block = self.block(current, entry)
                    if index:  # a rule's second part (met_by after due): its quote was just shown
                        block.source = None
                    blocks.append(block)
                    todo.extend(step["from"][5:] for step in entry.get("steps", [])
                                if str(step.get("from", "")).startswith("rule "))
            self.kept[rule_id] = blocks
        return self.kept[rule_id]

    def block(self, rule_id: str, entry: dict) -> Block:
        rule = self.product.rules.get(rule_id)
        title = capitalize(rule.label) if rule is not None and rule.label else rule_id
        if "note" in entry:
            return Block(title, None, [self.note(entry["note"])], "", "", None)
        part = PART_WORDS.get(entry.get("part", ""), entry.get("part", ""))
        steps = []
        for step in entry.get("steps", []):
            said = self.step(step)
            if said and (not steps or steps[-1] != said):  # a step the trace repeats is said once
                steps.append(said)
        node = self.nodes.get(entry.get("location", ""))
        about = "circa " if rule_id in self.indicative else ""
        outcome = f"Uitkomst ({part}): {about}{self.value(entry.get('value'), node.type if node else None)}"
        # The rule's sentence says all its parts: it is shown once, with its main part.
        return Block(title, self.sentence(rule) if entry.get("part") in MAIN_PARTS else None,
                     steps, outcome, entry.get("location", ""), entry.get("source"))

    def sentence(self, rule) -> str | None:
        if rule is None:
            return None
        try:
            return rule_sentence(rule, self.product, self.vocabulary)
        except (RenderError, RecursionError):
            return None

    def step(self, step: dict) -> str:
        if "note" in step:
            return self.note(step["note"])
        node = self.nodes.get(step.get("at", ""))
        value = self.value(step.get("value"), node.type if node is not None else None)
        origin = str(step.get("from", ""))
        if isinstance(node, n.FactRef) and node.name in self.vocabulary.facts:
            fact = self.vocabulary.facts[node.name]
            said = capitalize(" ".join((fact.phrase or fact.label).split()))
            if origin == "missing fact":
                return f"{said}: nog niet bekend."
            return f"{said} (gegeven van de zaak): {value}."
        if origin.startswith("rule "):
            rule = self.product.rules.get(origin[5:])
            name = capitalize(rule.label) if rule is not None and rule.label else origin[5:]
            about = "circa " if origin[5:] in self.indicative else ""
            return f"{name} (regel, zie hieronder): {about}{value}."
        said = self.said(node) or step.get("expression", "")
        return f"{capitalize(said)}: {value}."

    def said(self, node: n.Node | None) -> str | None:
        if node is None:
            return None
        try:
            return expression(node, self.vocabulary, self.product)
        except (RenderError, RecursionError, CatalogueError):
            return None

    def value(self, value: Any, type_) -> str:
        """A value as the trace describes it (JSON-ready text), said in Dutch by its static type."""
        if value is None:
            return "onbekend"
        if isinstance(value, bool):
            return bool_text(value)
        if isinstance(value, list):
            return ", ".join(self.value(item, getattr(type_, "item", None)) for item in value) or "geen"
        text = str(value)
        if text.startswith("unknown"):
            return "onbekend" + self.needs(text)
        try:
            if type_ == t.MONEY:
                return money_text(Decimal(text))
            if type_ == t.NUMBER:
                return number_text(Decimal(text))
            if type_ == t.PERCENT or text.endswith("%"):
                return f"{number_text(Decimal(text.rstrip('%')))}%"
        except InvalidOperation:
            return text
        if _ISO.fullmatch(text):
            return date_text(dt.date.fromisoformat(text))
        duration = _DURATION.fullmatch(text) if type_ == t.DURATION else None
        if duration:
            return duration_text(int(duration.group(1)), duration.group(2).replace(" ", "_") + "s")
        enum = type_.enum if isinstance(type_, t.SetType) else type_
        if isinstance(enum, t.EnumType):
            return str(self.vocabulary.enum_labels.get(enum.name, {}).get(text, text))
        return text

    def needs(self, text: str) -> str:
        found = re.search(r"needs ([a-z0-9_, ]+)", text)
        if not found:
            return ""
        names = [name.strip() for name in found.group(1).split(",") if name.strip()]
        labels = [self.vocabulary.facts[name].label if name in self.vocabulary.facts else name for name in names]
        return " (nodig: " + ", ".join(labels) + ")"

    def note(self, text: str) -> str:
        rolled = _ROLLED.fullmatch(text)
        if rolled:
            day, reason, to = rolled.groups()
            return (f"{date_text(dt.date.fromisoformat(day))} is geen werkdag ({WEEKDAY_WORDS.get(reason, reason)}): "
                    f"de datum schuift op naar {date_text(dt.date.fromisoformat(to))}.")
        following = _NEXT.fullmatch(text)
        if following:
            day, to = following.groups()
            return (f"{date_text(dt.date.fromisoformat(day))} is geen werkdag: de eerstvolgende werkdag is "
                    f"{date_text(dt.date.fromisoformat(to))}.")
        return text


def show_next_to_fields(problems: Problems, fields: list[Field]) -> None:
    """Each problem beside its field; one about no field of the form goes to the top of the page."""
    by_name = {f.name: f for f in fields}
    for name, (message, hint) in list(problems.fields.items()):
        if name in by_name:
            by_name[name].error, by_name[name].error_hint = message, hint
        else:
            del problems.fields[name]
            problems.page.append(message + (f" ({hint})" if hint else ""))


# -- the routes ----------------------------------------------------------------------------------

def mount_case_page(app: FastAPI, settings, engine_for) -> None:
    """The page's routes on the service: `/`, `/case/{code}` (GET the form, POST a case) and `/assets/`."""

    environment = _environment()
    assets = {path.name: (path.read_bytes(), ASSET_TYPES[path.suffix])
              for path in sorted(ASSETS.iterdir()) if path.suffix in ASSET_TYPES}

    def page(name: str, status: int = 200, **context) -> Response:
        text = environment.get_template(name).render(**context)
        return Response(text, status_code=status, media_type=HTML, headers=SECURITY_HEADERS)

    def products(engine) -> list[dict]:
        return [{"code": code, "title": editions[-1].title, "family": editions[-1].family,
                 "form": f"/case/{quote(code)}", "sheet": f"/v1/products/{quote(code)}/sheet.html"}
                for code, editions in engine.catalogue.products.items()]

    def unknown(engine, code: str) -> Response:
        return page("index.html.j2", 404, products=products(engine),
                    problem=f"Er is geen product met de code '{code[:MAX_VALUE_CHARS]}'. Kies er hieronder een.")

    def loaded(request: Request):
        """The engine, or None while no catalogue is loaded (then the page says so, not a JSON problem)."""
        try:
            return engine_for(request)
        except Problem:  # the only one engine_for raises: not ready
            return None

    def not_ready() -> Response:
        return page("index.html.j2", 503, products=[],
                    problem="De productcatalogus is nog niet geladen. Probeer het over een minuut opnieuw.")

    def blank(request: Request, code: str) -> tuple[Any, Product, list[Field]] | Response:
        """The engine, the product's latest edition and its form's fields; or the page that answers instead."""
        engine = loaded(request)
        if engine is None:
            return not_ready()
        if code not in engine.catalogue.products:
            return unknown(engine, code)
        product = engine.catalogue.product(code)
        return engine, product, form_fields(engine, product) + date_fields(product, engine.catalogue.vocabulary)

    def form_page(engine, product: Product, fields: list[Field], status: int = 200, problems: Problems | None = None,
                  view: dict | None = None) -> Response:
        return page("case.html.j2", status, products=products(engine), product=product, fields=fields,
                    dates=[f for f in fields if f.name in (AS_OF, RULES_ON)],
                    facts=[f for f in fields if f.name not in (AS_OF, RULES_ON)],
                    problems=problems or Problems(), view=view,
                    sheet=f"/v1/products/{quote(product.code)}/sheet.html", action=f"/case/{quote(product.code)}")

    @app.get("/", include_in_schema=False)
    async def index(request: Request) -> Response:
        engine = loaded(request)
        if engine is None:
            return not_ready()
        return page("index.html.j2", products=products(engine), problem=None)

    @app.get("/case", include_in_schema=False)
    async def choose(request: Request) -> Response:
        # The product chooser is a GET form, so that it works without JavaScript.
        code = request.query_params.get("product", "")
        return RedirectResponse(f"/case/{quote(code, safe='')}" if code else "/", status_code=303)

    @app.get("/case/{code}", include_in_schema=False)
    async def blank_form(request: Request, code: str) -> Response:
        found = blank(request, code)
        if isinstance(found, Response):
            return found
        engine, product, fields = found
        if request.query_params.get("voorbeeld"):
            values = example_values(product, engine.catalogue.vocabulary)
            for f in fields:
                if f.name in values:
                    f.value = values[f.name]
        return form_page(engine, product, fields)

    @app.post("/case/{code}", include_in_schema=False)
    async def submit(request: Request, code: str) -> Response:
        found = blank(request, code)
        if isinstance(found, Response):
            return found
        engine, product, fields = found
        problems = Problems()
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != FORM:
            problems.page.append(f"Het formulier moet als {FORM} worden verstuurd, niet als '{kind[:60] or 'niets'}'.")
            return form_page(engine, product, fields, 415, problems)
        try:
            body = await read_body(request, settings.max_body)
        except Problem:  # the only one read_body raises: the body is over the limit
            problems.page.append(f"Het formulier is groter dan {number_text(settings.max_body)} bytes.")
            return form_page(engine, product, fields, 413, problems)
        entered, problems = read_form(body, fields, 2 * settings.max_facts)
        for f in fields:
            if f.name in entered:
                f.value = entered[f.name]
        facts, as_of, rules_on = checked_case(engine, settings, entered, fields, problems)
        if not problems:
            try:
                result = await run_in_threadpool(engine.evaluate, code, facts, as_of=as_of, rules_on=rules_on,
                                                 explain=True, typed=True)
            except LookupProblem as error:
                problems.add(RULES_ON if rules_on else AS_OF, "Op deze dag geldt geen editie van dit product.",
                             error.message + (f"; {error.hint}" if error.hint else ""))
            except CatalogueError as error:
                problems.page.append(f"Dit product kan voor deze zaak niet worden berekend: {error.message}")
            else:
                edition = next((p for p in engine.catalogue.editions(code) if p.edition == result.edition), product)
                view = await run_in_threadpool(result_view, engine, edition, result, facts)
                return form_page(engine, edition, fields, 200, problems, view)
        show_next_to_fields(problems, fields)
        return form_page(engine, product, fields, 422, problems)

    @app.api_route("/case/{code}/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
    async def beyond_a_form(request: Request, code: str, rest: str) -> Response:
        # Nothing lives below a form: the page's own 404, not the API's JSON one echoing the path.
        engine = loaded(request)
        if engine is None:
            return not_ready()
        return page("index.html.j2", 404, products=products(engine),
                    problem="Deze pagina bestaat niet. Kies hieronder een product.")

    @app.get("/assets/{name}", include_in_schema=False)
    async def asset(name: str) -> Response:
        found = assets.get(name)
        if found is None:
            return Response("niet gevonden", status_code=404, media_type="text/plain; charset=utf-8")
        return Response(found[0], media_type=found[1], headers={"Cache-Control": "max-age=3600",
                                                                 "X-Content-Type-Options": "nosniff"})

