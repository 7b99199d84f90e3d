"""The HTTP service: the catalogue under /v1 (FastAPI on uvicorn), results in the published contract, problems in RFC 9457."""
from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, AsyncIterator

import orjson
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.datastructures import QueryParams
from starlette.requests import ClientDisconnect
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from . import nodes as n
from . import openapi
from . import problems as p
from . import types as t
from .batch import Job, _Unreadable, value_converter
from .cases import RULES_ON
from .catalogue import Fact
from .rows import rule_ids
from .errors import CatalogueError, LookupProblem, Position, RuleSyntaxError
from .limits import MAX_YAML_DEPTH
from .live import LiveCatalogue
from .model import Product
from .parser import parse_date
from .results import source_json, type_name, to_json

log = logging.getLogger("catalogue.service")

JSON = "application/json"
JSON_LINES = ("application/x-ndjson", "application/jsonl", "application/json-lines")
RECEIPT_HEADERS = ("Catalogue-Hash", "Engine-Version")
EVALUATE_PATH = "/v1/products/{code}/evaluate"
BATCH_CHUNK = 500  # lines evaluated at a time: a stream of any length holds no more than this


@dataclass(frozen=True)
class Settings:
    """What `catalogue serve` is told: where the catalogue is, and the bounds on every request."""

    root: Path | None = None
    backend: str = "compiled"
    max_body: int = 1 << 20        # bytes of an evaluate body
    max_line: int = 64 << 10       # bytes of one line of a batch or due stream
    max_facts: int = 200           # facts in one case (the vocabulary has far fewer)
    max_within: int = 3660         # days of a signalling window: ten years
    cors_origins: tuple[str, ...] = ()
    watch: bool = True
    poll_seconds: float = 1.0
    # Dates outside this century are typing errors, not cases. The window is also what keeps every
    # request the OpenAPI document describes answerable: a recurring schedule (every 6 weeks, the
    # shortest on the cards) spans at most limits.MAX_OCCURRENCES dates within it.
    earliest: dt.date = dt.date(2000, 1, 1)
    latest: dt.date = dt.date(2099, 12, 31)


class Problem(Exception):
    """A request the service answers with a problem object instead of a result."""

    def __init__(self, kind: str, detail: str, errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.body = p.problem(kind, detail, errors)
        self.headers = headers or {}


# -- reading a request ---------------------------------------------------------------------------

def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def _unsupported(kind: str) -> Problem:
    return Problem("unsupported-media-type", f"the body must be {JSON}, not '{kind or 'none given'}'",
                   [p.entry("", "unsupported-media-type", f"Content-Type is '{kind or 'missing'}'",
                            f"send the body with 'Content-Type: {JSON}'")])


def require_json_lines(request: Request) -> None:
    if _media_type(request) not in JSON_LINES:
        raise Problem("unsupported-media-type",
                      f"the body must be JSON Lines ({JSON_LINES[0]}), not '{_media_type(request) or 'none given'}'",
                      [p.entry("", "unsupported-media-type", "one JSON object of facts per line is expected",
                               f"send the body with 'Content-Type: {JSON_LINES[0]}'")])


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused as soon as it passes `limit` bytes (whatever Content-Length says)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _too_large(limit: int) -> Problem:
    return Problem("body-too-large", f"the body is larger than {limit} bytes",
                   [p.entry("", "body-too-large", f"at most {limit} bytes are accepted",
                            "send fewer facts, or many cases as JSON Lines to the batch endpoint")])


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def parse_json(body: bytes) -> Any:
    """The body as JSON, numbers exact (Decimal); 400 with the line and column when it is not JSON.

    orjson reads it first (several times faster); a body it refuses, or one with a fraction in it
    (orjson would make a float of it), is read again by json with Decimal numbers and its messages."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    else:
        if not _has_float(data):
            return data
    try:
        data = json.loads(body.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant)
        _has_float(data)  # for its bound on the nesting
        return data
    except UnicodeDecodeError:
        raise Problem("malformed-json", "the body is not UTF-8 text",
                      [p.entry("", "malformed-json", "the body is not UTF-8 text", "send JSON encoded as UTF-8")])
    except json.JSONDecodeError as error:
        raise Problem("malformed-json", f"the body is not JSON: {error.msg} at line {error.lineno}, "
                                        f"column {error.colno}",
                      [p.entry("", "malformed-json", error.msg, "check the JSON, e.g. with a JSON linter",
                               line=error.lineno, column=error.colno)])
    except (ValueError, RecursionError) as error:
        raise Problem("malformed-json", f"the body is not JSON: {error}",
                      [p.entry("", "malformed-json", str(error), "send plain JSON: no NaN, no deep nesting")])


def _has_float(value: Any) -> bool:
    """Whether orjson made a float anywhere in it; a Problem when lists and objects nest deeper than
    limits.MAX_YAML_DEPTH (nothing of a request nests more than three, and deeper values would
    exhaust the recursion of whatever prints them). A loop: this runs on every request."""
    todo, found = [(value, 0)], False
    while todo:
        item, depth = todo.pop()
        kind = type(item)
        if kind is float:
            found = True
        elif kind is dict or kind is list:
            if depth >= MAX_YAML_DEPTH:
                raise Problem("malformed-json", f"the body nests lists and objects deeper than {MAX_YAML_DEPTH}",
                              [p.entry("", "malformed-json", f"nested deeper than {MAX_YAML_DEPTH}",
                                       "send a flat object of facts")])
            todo.extend((child, depth + 1) for child in (item.values() if kind is dict else item))
    return found


def read_within(text: str, settings: Settings, problems: list[dict]) -> int | None:
    """?within=DAYS: digits only, as the document's integer says (no sign, spaces or decimal point)."""
    if text.isascii() and text.isdigit() and len(text) <= 9 and int(text) <= settings.max_within:
        return int(text)
    problems.append(p.entry("/query/within", "invalid-integer", f"within is '{text}'",
                            f"give the days of the window as a whole number from 0 to {settings.max_within}"))
    return None


def parse_day(text: Any, where: str, settings: Settings, problems: list[dict]) -> dt.date | None:
    """A date of the request (YYYY-MM-DD within the service's years), or a problem at `where`."""
    if text is None:
        return None
    if not isinstance(text, str):
        problems.append(p.entry(where, "invalid-date", f"must be a date as text, not {json.dumps(text, default=str)}",
                                "write dates as YYYY-MM-DD, e.g. 2016-04-01"))
        return None
    day = _iso_day(text)
    if day is None:
        try:  # for its message; a date it takes in another spelling (" 2016-04-01") is refused all the same
            parse_date(text, Position("<request>", 1, 1))
            problems.append(p.entry(where, "invalid-date", f"'{text}' is not written YYYY-MM-DD",
                                    "write dates as YYYY-MM-DD, e.g. 2016-04-01"))
        except RuleSyntaxError as error:
            problems.append(p.entry(where, "invalid-date", error.message, error.hint))
        return None
    if not settings.earliest <= day <= settings.latest:
        problems.append(p.entry(where, "date-out-of-range", f"{text} is outside the years this service accepts",
                                f"give a date from {settings.earliest} to {settings.latest}"))
        return None
    return day


def read_explain(given: list[str]) -> bool:
    """?explain=true|false, once: the OpenAPI document's boolean, nothing looser."""
    if not given:
        return False
    if len(given) == 1 and given[0] in ("true", "false"):
        return given[0] == "true"
    raise Problem("invalid-request", "explain is true or false",
                  [p.entry("/query/explain", "invalid-boolean", f"explain is {'&'.join(given)!r}",
                           "give explain=true for the trace, or leave it out")])


def _iso_day(text: str) -> dt.date | None:
    """YYYY-MM-DD read directly (fromisoformat alone would also take 20160401 and week dates)."""
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text.isascii() and text[:4].isdigit() \
            and text[5:7].isdigit() and text[8:].isdigit():
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None  # the rule language's parser says what is wrong with it
    return None


EVALUATE_FIELDS = ("facts", "as_of", "rules_on")


def read_evaluate_body(data: Any, engine, settings: Settings) -> tuple[dict, dt.date | None, dt.date | None]:
    """Typed facts and the two dates from an evaluate body; every problem of it at once (422)."""
    problems: list[dict] = []
    if not isinstance(data, dict):
        raise Problem("invalid-request", "the body must be a JSON object",
                      [p.entry("", "not-an-object", "the body must be a JSON object",
                               'for example {"facts": {"registered_on": "2016-04-01"}}')])
    for key in data:
        if key not in EVALUATE_FIELDS:
            problems.append(p.entry(p.pointer(key), "unknown-field", f"unknown field '{key}'",
                                    "the body has the fields " + ", ".join(EVALUATE_FIELDS)))
    as_of = parse_day(data.get("as_of"), "/as_of", settings, problems)
    rules_on = parse_day(data.get("rules_on"), "/rules_on", settings, problems)
    raw = data.get("facts")
    facts: dict = {}
    if "facts" not in data:
        problems.append(p.entry("/facts", "missing-field", "the body has no facts",
                                'give the case\'s facts, e.g. {"facts": {"registered_on": "2016-04-01"}}; '
                                '{"facts": {}} when none are known'))
    elif not isinstance(raw, dict):
        problems.append(p.entry("/facts", "not-an-object", "facts must be a JSON object of fact: value",
                                'for example {"registered_on": "2016-04-01", "price": 4000}'))
    elif len(raw) > settings.max_facts:
        problems.append(p.entry("/facts", "too-many-facts", f"{len(raw)} facts; at most {settings.max_facts}",
                                "send only the facts of the case (GET /v1/facts lists them)"))
    else:
        facts = convert_facts(raw, engine, settings, problems)
    if problems:
        raise Problem("invalid-request", f"{len(problems)} problem{'s' if len(problems) > 1 else ''} in the request",
                      problems)
    return facts, as_of, rules_on


def evaluate_answer(engine, code: str, media_type: str, body: bytes, query: bytes, settings: Settings) -> bytes:
    """The answer to POST /v1/products/{code}/evaluate as JSON bytes; a Problem for anything refused."""
    product_or_404(engine, code)
    explain = read_explain(QueryParams(query).getlist("explain")) if query else False
    if media_type != JSON and not media_type.endswith("+json"):
        raise _unsupported(media_type)
    facts, as_of, rules_on = read_evaluate_body(parse_json(body), engine, settings)
    try:
        result = engine.evaluate(code, facts, as_of=as_of, rules_on=rules_on, explain=explain, typed=True)
    except LookupProblem as error:
        raise _lookup_problem(error, "/rules_on" if rules_on else "/as_of") from None
    except CatalogueError as error:
        raise Problem("evaluation-failed", f"{error.position}: {error.message}",
                      [p.entry("", error.stage, error.message, error.hint, location=str(error.position))])
    return _dumps(to_json(result, explain))


# Numbers as they enter: an amount of 10**999999 is a typing error or an attack, not a case (and would
# overflow the decimal context in the middle of an evaluation).
LARGEST = Decimal(10) ** 12
DECIMALS = 12


def _bounded(number: Decimal) -> bool:
    return number.is_finite() and abs(number) < LARGEST and number.as_tuple().exponent >= -DECIMALS


@dataclass(frozen=True)
class FactReader:
    """How the service reads one fact of a request: batch's converter (the case files' rules, with fast
    paths) and the one text form the OpenAPI document allows (openapi.text_pattern)."""

    convert: Any
    text: re.Pattern | None
    form: str  # the text form in words, for the hint


_READERS: dict[int, tuple[Any, dict]] = {}  # by id() of a catalogue's vocabulary (kept alive with it)


def readers_for(engine) -> dict[str, FactReader]:
    """One FactReader per fact (and the case's own rules_on), made once per catalogue."""
    vocabulary = engine.catalogue.vocabulary
    kept = _READERS.get(id(vocabulary))
    if kept is None or kept[0] is not vocabulary:
        _READERS.clear()  # only the catalogue being served
        readers = {}
        for name, fact in [*vocabulary.facts.items(), (RULES_ON, Fact(RULES_ON, t.DATE, "rules_on"))]:
            pattern = openapi.text_pattern(fact, LARGEST)
            readers[name] = FactReader(value_converter(fact, vocabulary), re.compile(pattern) if pattern else None,
                                       TEXT_FORMS.get(fact.type, "as GET /v1/facts says"))
        kept = _READERS[id(vocabulary)] = (vocabulary, readers)
    return kept[1]


TEXT_FORMS = {t.DATE: "YYYY-MM-DD, e.g. 2016-04-01",
              t.MONEY: 'a whole number (4000), or text with a decimal point: "4000.50" or "€4000.50"',
              t.NUMBER: 'a whole number (12), or text with a decimal point: "1.5"',
              t.PERCENT: 'text from "0%" to "100%", e.g. "60%" or "12.5%"',
              t.DURATION: 'text such as "6 weeks" or "10 working days"'}


def convert_facts(raw: dict, engine, settings: Settings, problems: list[dict]) -> dict:
    """Typed facts; the problems of every wrong fact go to `problems`, each pointing at /facts/<name>."""
    readers, facts = readers_for(engine), {}
    for name, value in raw.items():
        reader = readers.get(name)
        try:
            if reader is None:
                facts.update(engine.facts({name: value}))  # raises for an unknown fact, with did-you-mean
            elif value is not None:  # null: written but not known yet
                converted = reader.convert(value)
                kind = type(value)
                if type(converted) is Decimal and not _bounded(converted):
                    problems.append(p.entry(p.pointer("facts", name), "number-out-of-range",
                                            f"'{name}' is {value}: outside what a case can hold",
                                            f"give a number below {LARGEST:,} with at most {DECIMALS} decimals"))
                    continue
                if (kind is str and reader.text is not None and not reader.text.fullmatch(value)) or \
                        (kind is Decimal and value != value.to_integral_value()):
                    # read by the case files' rules, but not written as the contract says: a JSON number
                    # with a fraction (a float to most clients; 4000.0 is a whole number, as JSON Schema
                    # counts integers), or text spelled another way
                    problems.append(p.entry(p.pointer("facts", name), "not-in-contract-form",
                                            f"'{name}' is {json.dumps(value, default=str)}: write it as {reader.form}",
                                            "the OpenAPI document's Facts schema gives every fact's form"))
                    continue
                if type(converted) is dt.date and not settings.earliest <= converted <= settings.latest:
                    problems.append(p.entry(p.pointer("facts", name), "date-out-of-range",
                                            f"'{name}' is {value}: outside the years this service accepts",
                                            f"give a date from {settings.earliest} to {settings.latest}"))
                    continue
                facts[name] = converted
        except CatalogueError as error:
            error.fact = name
            problems.extend(p.fact_entries(error))
    return facts


def product_or_404(engine, code: str) -> list[Product]:
    editions = engine.catalogue.products.get(code)
    if editions is None:
        try:
            engine.catalogue.product(code)
        except LookupProblem as error:
            raise Problem("unknown-product", f"there is no product '{code}' ({error.hint})",
                          [p.entry("/path/code", "unknown-product", error.message, error.hint)]) from None
    return editions


def _lookup_problem(error: LookupProblem, where: str) -> Problem:
    return Problem("invalid-request", error.message, [p.entry(where, "no-edition", error.message, error.hint)])


# -- what the service says about the catalogue ---------------------------------------------------

def _edition(product: Product) -> dict:
    return {"name": product.edition, "valid_from": _iso(product.valid_from), "valid_until": _iso(product.valid_until)}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def product_summary(editions: list[Product]) -> dict:
    latest = editions[-1]
    return {"code": latest.code, "title": latest.title, "family": latest.family,
            "editions": [_edition(product) for product in editions], "source": source_json(latest.citation)}


def facts_read(product: Product) -> dict[str, list[str]]:
    """Each fact the product reads, with the rules that need it (through the rules they refer to)."""
    direct: dict[str, set[str]] = {}
    refers: dict[str, set[str]] = {}
    for rule in product.rules.values():
        exprs = list(rule.exprs.values()) + [edition.expr for edition in rule.editions]
        for expr in exprs:
            for node in n.walk(expr.node):
                if isinstance(node, n.FactRef):
                    direct.setdefault(rule.id, set()).add(node.name)
                elif isinstance(node, n.RuleRef):
                    refers.setdefault(rule.id, set()).add(node.name)
    out: dict[str, set[str]] = {}
    for rule_id in product.rules:
        seen, todo, names = set(), [rule_id], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            names |= direct.get(current, set())
            todo.extend(refers.get(current, ()))
        for name in names:
            out.setdefault(name, set()).add(rule_id)
    return {name: sorted(rules) for name, rules in sorted(out.items())}


def fact_entry(fact, vocabulary) -> dict:
    out = {"name": fact.name, "type": type_name(fact.type), "label": fact.label, "phrase": fact.phrase or fact.label}
    members = getattr(fact.type, "members", None) or getattr(getattr(fact.type, "enum", None), "members", None)
    if members:
        labels = vocabulary.enum_labels.get(getattr(fact.type, "enum", fact.type).name, {})
        out["choices"] = [{"name": member, "label": labels.get(member, member)} for member in members]
    return out


def product_detail(engine, editions: list[Product], product: Product) -> dict:
    vocabulary = engine.catalogue.vocabulary
    facts = [{**fact_entry(vocabulary.facts[name], vocabulary), "required_by": rules}
             for name, rules in facts_read(product).items() if name in vocabulary.facts]
    rules = [{"id": rule.id, "kind": rule.section, "label": rule.label, "source": source_json(rule.citation)}
             for rule in product.rules.values()]
    return {**product_summary(editions), "edition": _edition(product), "facts": facts, "rules": rules,
            "assumptions": [{"id": a.id, "text": a.text, "applies_to": list(a.applies_to)}
                            for a in product.assumptions]}


# -- the application -----------------------------------------------------------------------------

def _dumps(data: Any) -> bytes:
    return orjson.dumps(data)  # about eight times json's speed for a result; the same bytes but for spacing


def json_response(data: Any, status: int = 200, media_type: str = JSON) -> Response:
    return Response(_dumps(data), status_code=status, media_type=media_type)


def problem_response(body: dict, receipt: dict | None, headers: dict | None = None) -> Response:
    body = {**body, "receipt": receipt or {}}
    return Response(_dumps(body), status_code=body["status"], media_type=p.MEDIA_TYPE, headers=headers)


class ReceiptAndSafety:
    """Pure ASGI middleware: the receipt headers on every response, and a 500 problem (never a traceback)
    when something unexpected happens, logged with an incident id."""

    def __init__(self, app, live: LiveCatalogue):
        self.app = app
        self.live = live

    def _receipt(self, scope) -> dict:
        state = scope.get("state") or {}
        receipt = state.get("receipt")
        if receipt is None and self.live.engine is not None:
            receipt = self.live.engine.receipt
        return receipt or {"engine": __version__, "catalogue_hash": ""}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                receipt = self._receipt(scope)
                headers = list(message.get("headers", []))
                headers.append((b"catalogue-hash", receipt["catalogue_hash"].encode()))
                headers.append((b"engine-version", receipt["engine"].encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:  # noqa: BLE001 - the last line of defence: a client never sees a traceback
            incident = uuid.uuid4().hex[:12]
            log.exception("unexpected error, incident %s, %s %s", incident, scope.get("method"), scope.get("path"))
            if started:
                return  # the status is gone already; a stream simply ends, and the log has the incident
            body = p.problem("internal-error", f"an unexpected error occurred; the service's log has incident {incident}",
                             incident=incident)
            response = problem_response(body, self._receipt(scope))
            await response(scope, receive, sending)


class EvaluateFastPath:
    """POST /v1/products/{code}/evaluate answered from the raw ASGI scope and body, before the framework.

    The hot path of the service. Routing, the middleware stack, Starlette's request and response
    objects cost as much as reading, checking and evaluating a case (benchmarks/README.md); here a
    request costs the engine's work and little more. The answers, problems included, are those of the
    documented route (both call evaluate_answer), with the receipt headers and, for anything
    unexpected, the 500 problem with an incident id that ReceiptAndSafety gives every other answer.
    A request with an Origin header (a browser's) goes the whole way, through CORS."""

    PREFIX, SUFFIX = "/v1/products/", "/evaluate"

    def __init__(self, live: LiveCatalogue, settings: Settings):
        self.live = live
        self.settings = settings

    def takes(self, scope) -> bool:
        if scope["type"] != "http" or scope["method"] != "POST":
            return False
        path: str = scope["path"]
        if not (path.startswith(self.PREFIX) and path.endswith(self.SUFFIX)):
            return False
        code = self._code(path)  # as the route's {code}: not empty, no slash ("/v1/products/evaluate" is a 405)
        if not code or "/" in code:
            return False
        return all(name != b"origin" for name, _ in scope["headers"])

    def _code(self, path: str) -> str:
        return path[len(self.PREFIX):-len(self.SUFFIX)]

    async def __call__(self, scope, receive, send):
        engine = self.live.engine  # taken once: a reload during this request does not change it
        receipt = engine.receipt if engine is not None else {"engine": __version__, "catalogue_hash": ""}
        stamp = [(b"catalogue-hash", receipt["catalogue_hash"].encode()), (b"engine-version", receipt["engine"].encode())]
        try:
            answer = await self._answer(engine, scope, receive)
        except Problem as problem:
            body = _dumps({**problem.body, "receipt": receipt})
            return await _send(send, problem.body["status"], p.MEDIA_TYPE.encode(), body, stamp,
                               [(key.lower().encode("latin-1"), value.encode("latin-1"))
                                for key, value in problem.headers.items()])
        except ClientDisconnect:
            return None  # nobody is listening any more
        except Exception:  # noqa: BLE001 - as ReceiptAndSafety: a client never sees a traceback
            incident = uuid.uuid4().hex[:12]
            log.exception("unexpected error, incident %s, POST %s", incident, scope.get("path"))
            body = p.problem("internal-error", f"an unexpected error occurred; the service's log has incident {incident}",
                             incident=incident)
            return await _send(send, 500, p.MEDIA_TYPE.encode(), _dumps({**body, "receipt": receipt}), stamp)
        await _send(send, 200, JSON.encode(), answer, stamp)

    async def _answer(self, engine, scope, receive) -> bytes:
        if engine is None:
            raise Problem("not-ready", "no catalogue is loaded yet; /readyz says why")
        media_type, declared = _content_headers(scope["headers"])
        if declared > self.settings.max_body:
            raise _too_large(self.settings.max_body)
        body = await _receive_body(receive, self.settings.max_body)
        return evaluate_answer(engine, self._code(scope["path"]), media_type, body, scope["query_string"],
                               self.settings)


async def _send(send, status: int, media_type: bytes, body: bytes, *header_lists: list) -> None:
    headers = [(b"content-type", media_type), (b"content-length", str(len(body)).encode())]
    for more in header_lists:
        headers.extend(more)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _content_headers(headers: list[tuple[bytes, bytes]]) -> tuple[str, int]:
    """Content-Type's media type (lower case, no parameters) and Content-Length (-1 when not given)."""
    media_type, length = "", -1
    for name, value in headers:
        if name == b"content-type":
            media_type = value.decode("latin-1").split(";")[0].strip().lower()
        elif name == b"content-length" and value.isdigit():
            length = int(value)
    return media_type, length


async def _receive_body(receive, limit: int) -> bytes:
    """The whole body from the ASGI channel, refused as soon as it passes `limit` bytes."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class ServiceApp(FastAPI):
    """The application: FastAPI, with the evaluate fast path taken before anything else of it."""

    fast_path: EvaluateFastPath | None = None

    async def __call__(self, scope, receive, send) -> None:
        fast = self.fast_path
        if fast is not None and fast.takes(scope):
            return await fast(scope, receive, send)
        return await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, live: LiveCatalogue | None = None) -> FastAPI:
    """The service's application. `live` defaults to the catalogue of `settings.root`, loaded now."""

    settings = settings or Settings()
    if live is None:
        live = LiveCatalogue(settings.root, settings.backend)
        live.load()
    from fastapi_offline import FastAPIOffline

    app = FastAPIOffline(lifespan=_lifespan(live, settings), title="Re-integration product catalogue", version=__version__,
                         description="Deadlines, payments, reports and checks of Dutch re-integration products "
                                     "for a case. Results follow result.schema.json; errors are "
                                     "application/problem+json (RFC 9457). See docs/api.md.",
                         static_url="/docs-assets")
    app.state.live = live
    app.state.settings = settings

    def engine_for(request: Request):
        engine = live.engine  # taken once: a reload during this request does not change it
        if engine is None:
            raise Problem("not-ready", "no catalogue is loaded yet; /readyz says why")
        request.state.receipt = engine.receipt
        return engine

    @app.exception_handler(Problem)
    async def on_problem(request: Request, problem: Problem) -> Response:
        return problem_response(problem.body, _state_receipt(request, live), problem.headers)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> Response:
        entries = [p.entry(p.pointer(*[str(part) for part in item.get("loc", ())]), item.get("type", "invalid"),
                           item.get("msg", "invalid"), None) for item in error.errors()]
        body = p.problem("invalid-request", f"{len(entries)} problem{'s' if len(entries) != 1 else ''} in the request",
                         entries)
        return problem_response(body, _state_receipt(request, live))

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, error: StarletteHTTPException) -> Response:
        kind = {404: "not-found", 405: "method-not-allowed", 406: "not-acceptable"}.get(error.status_code)
        if kind is None:
            body = {"type": "about:blank", "title": str(error.detail), "status": error.status_code,
                    "detail": str(error.detail), "errors": []}
        else:
            body = p.problem(kind, f"{request.method} {request.url.path}: {error.detail}")
        return problem_response(body, _state_receipt(request, live), getattr(error, "headers", None))

    _routes(app, live, settings, engine_for)
    from .casepage import mount_case_page  # the case workers' page at /: its own module
    mount_case_page(app, settings, engine_for)
    app.__class__ = ServiceApp  # fastapi-offline builds a plain FastAPI; this adds only __call__
    app.fast_path = EvaluateFastPath(live, settings)
    app.openapi = openapi.builder(app, LARGEST)
    if settings.cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins), allow_methods=["GET", "POST"],
                           allow_headers=["Content-Type", "Accept"], expose_headers=list(RECEIPT_HEADERS))
    app.add_middleware(ReceiptAndSafety, live=live)
    return app


def _lifespan(live: LiveCatalogue, settings: Settings):
    """While serving: watch the folder (when asked) and reload on SIGHUP; stop watching on shutdown."""
    import asyncio
    import contextlib
    import signal

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if settings.watch:
            live.watch(settings.poll_seconds)
        hangup = False
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError, AttributeError):
            asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, live.reload_soon)
            hangup = True  # not on Windows, and only in the main thread
        try:
            yield
        finally:
            if hangup:
                asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
            live.stop()

    return lifespan


SETTINGS_VARIABLE = "CATALOGUE_SERVE_SETTINGS"


def settings_to_environment(settings: Settings) -> str:
    """The settings as text, for uvicorn's worker processes (they start from an import string)."""
    data = {key: getattr(settings, key) for key in settings.__dataclass_fields__}
    data["root"] = str(settings.root) if settings.root else None
    data["earliest"], data["latest"] = settings.earliest.isoformat(), settings.latest.isoformat()
    data["cors_origins"] = list(settings.cors_origins)
    return json.dumps(data)


def app_from_environment() -> FastAPI:
    """uvicorn's factory: the app with the settings `catalogue serve` put in the environment."""
    import os

    data = json.loads(os.environ.get(SETTINGS_VARIABLE, "{}"))
    if data.get("root"):
        data["root"] = Path(data["root"])
    for key in ("earliest", "latest"):
        if key in data:
            data[key] = dt.date.fromisoformat(data[key])
    if "cors_origins" in data:
        data["cors_origins"] = tuple(data["cors_origins"])
    return create_app(Settings(**data))


def _state_receipt(request: Request, live: LiveCatalogue) -> dict | None:
    receipt = getattr(request.state, "receipt", None)
    if receipt is None and live.engine is not None:
        receipt = live.engine.receipt
    return receipt


PROBLEM_RESPONSE = {"content": {p.MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def _problems(*statuses: int) -> dict:
    described = {400: "malformed JSON", 404: "unknown product", 406: "not an accepted media type",
                 413: "body over the limit", 415: "wrong content type", 422: "values of the wrong shape or type",
                 500: "unexpected error (the log has the incident id)", 503: "no catalogue loaded"}
    return {status: {"description": described[status], **PROBLEM_RESPONSE} for status in (*statuses, 422, 500, 503)}


DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


def date_query(description: str):
    """An optional date in the query; read by parse_day, so that its problems have the service's shape."""
    return Query(None, description=description, examples=["2016-06-01"],
                 json_schema_extra={"format": "date", "pattern": DATE_PATTERN})


def _routes(app: FastAPI, live: LiveCatalogue, settings: Settings, engine_for) -> None:  # noqa: C901 - one place
    @app.get("/healthz", tags=["service"], summary="The process is alive")
    async def healthz() -> Response:
        return json_response({"status": "ok", "engine": __version__})

    @app.get("/readyz", tags=["service"], summary="A catalogue is loaded: its hash, since when, the last reload error",
             responses={503: {"description": "no catalogue loaded"}})
    async def readyz() -> Response:
        engine = live.engine
        body = {"status": "ready" if engine else "not ready", "engine": __version__,
                "catalogue_hash": engine.catalogue.hash if engine else None,
                "catalogue": str(live.root), "loaded_at": live.loaded_at.isoformat(timespec="seconds")
                if live.loaded_at else None, "last_reload_error": live.last_error}
        return json_response(body, 200 if engine else 503)

    @app.get("/v1/facts", tags=["catalogue"], summary="The fact vocabulary, with types",
             responses=_problems())
    async def list_facts(request: Request) -> Response:
        engine = engine_for(request)
        vocabulary = engine.catalogue.vocabulary
        return json_response({"facts": [fact_entry(fact, vocabulary) for fact in vocabulary.facts.values()],
                              "receipt": engine.receipt})

    @app.get("/v1/products", tags=["catalogue"], summary="Every product: code, title, family, editions, source",
             responses=_problems(422))
    async def list_products(request: Request, on: str | None = date_query("only editions valid then")) -> Response:
        engine = engine_for(request)
        problems: list[dict] = []
        day = parse_day(on, "/query/on", settings, problems)
        if problems:
            raise Problem("invalid-request", problems[0]["message"], problems)
        out = []
        for editions in engine.catalogue.products.values():
            valid = [product for product in editions if day is None or product.valid_on(day)]
            if valid:
                out.append(product_summary(valid))
        return json_response({"products": out, "receipt": engine.receipt})

    @app.get("/v1/products/{code}", tags=["catalogue"],
             summary="One product: editions, the facts it reads, its rules and assumptions",
             responses=_problems(404, 422))
    async def show_product(request: Request, code: str,
                           on: str | None = date_query("the edition valid then (default: the latest)")
                           ) -> Response:
        engine = engine_for(request)
        editions = product_or_404(engine, code)
        problems: list[dict] = []
        day = parse_day(on, "/query/on", settings, problems)
        if problems:
            raise Problem("invalid-request", problems[0]["message"], problems)
        try:
            product = engine.catalogue.product(code, day)
        except LookupProblem as error:
            raise _lookup_problem(error, "/query/on") from None
        return json_response({**product_detail(engine, editions, product), "receipt": engine.receipt})

    @app.post(EVALUATE_PATH, tags=["evaluation"],
              summary="Evaluate a product for one case: deadlines, payments, reports, checks, values",
              openapi_extra={"requestBody": {"required": True, "content": {JSON: {"schema": {
                  "$ref": "#/components/schemas/EvaluateRequest"}}}},
                  "parameters": [
                      {"name": "code", "in": "path", "required": True, "schema": {"type": "string"},
                       "description": "the product code, e.g. 12XR"},
                      {"name": "explain", "in": "query", "required": False,
                       "schema": {"type": "boolean", "default": False},
                       "description": "add the trace: every step, with card file:line"}]},
              responses={200: {"description": "the result (result.schema.json)",
                               "content": {JSON: {"schema": {"$ref": "#/components/schemas/Result"}}}},
                         **_problems(400, 404, 413, 415, 422)})
    async def evaluate(request: Request) -> Response:
        # Documents the operation; requests are answered by EvaluateFastPath in front of the router.
        engine = engine_for(request)
        answer = evaluate_answer(engine, request.path_params["code"], _media_type(request),
                                 await read_body(request, settings.max_body), request.scope.get("query_string", b""),
                                 settings)
        return Response(answer, media_type=JSON)

    # Any text is read: a line that is not an object of facts (components/schemas/Facts) is answered by
    # a problem line in its place, and the stream goes on. So the schema is the empty one, not "a string":
    # nothing a client sends here is refused for its shape.
    stream_body = {"required": True, "content": {JSON_LINES[0]: {"schema": {
        "description": "JSON Lines: one JSON object of facts (Facts) per line, blank lines skipped"}}}}

    @app.post("/v1/products/{code}/batch", tags=["evaluation"],
              summary="Many cases: JSON Lines of facts in, JSON Lines of results out, streamed both ways",
              openapi_extra={"requestBody": stream_body},
              responses={200: {"description": "one line per case: the result with row and id, or a problem "
                                              "object with the line number", "content": {JSON_LINES[0]: {}}},
                         **_problems(404, 415, 422)})
    async def batch(request: Request, code: str,
                    as_of: str | None = date_query("the day statuses are judged, for every case (default: today)"),
                    rules_on: str | None = date_query("the day whose rules apply, for every case "
                                                      "(default: each case's own)")) -> Response:
        return await _stream(request, code, as_of, rules_on, None)

    @app.post("/v1/products/{code}/due", tags=["evaluation"],
              summary="The signalling list: open deadlines of the cases that fall due within DAYS",
              openapi_extra={"requestBody": stream_body},
              responses={200: {"description": "one line per deadline due, soonest first within a case",
                               "content": {JSON_LINES[0]: {}}}, **_problems(404, 415, 422)})
    async def due(request: Request, code: str,
                  within: str = Query(..., description="days from as_of", json_schema_extra={
                      "type": "integer", "minimum": 0, "maximum": settings.max_within}),
                  as_of: str | None = date_query("the first day of the window (default: today)"),
                  rules_on: str | None = date_query("the day whose rules apply, for every case "
                                                    "(default: each case's own)")) -> Response:
        return await _stream(request, code, as_of, rules_on, within)

    async def _stream(request: Request, code: str, as_of_text: str | None, rules_on_text: str | None,
                      within_text: str | None) -> Response:
        engine = engine_for(request)
        editions = product_or_404(engine, code)
        require_json_lines(request)
        problems: list[dict] = []
        within = None if within_text is None else read_within(within_text, settings, problems)
        as_of = parse_day(as_of_text, "/query/as_of", settings, problems) or dt.date.today()
        rules_on = parse_day(rules_on_text, "/query/rules_on", settings, problems)
        if problems:
            raise Problem("invalid-request", f"{len(problems)} problem{'s' if len(problems) > 1 else ''} "
                                             "in the request", problems)
        if rules_on is not None:
            try:
                engine.catalogue.product(code, rules_on)
            except LookupProblem as error:
                raise _lookup_problem(error, "/query/rules_on") from None
        # A case whose own rules_on has no edition becomes a problem line, and the stream goes on.
        job = Job(engine, code, "<request>", "jsonl", "jsonl", [], ",", "id", as_of, within, rule_ids(editions),
                  rules_on, problem_rows=True)
        return DuplexStream(_evaluated_lines(request, job, settings.max_line), JSON_LINES[0])

    @app.get("/v1/products/{code}/sheet", tags=["catalogue"], summary="The Dutch product sheet (HTML or Markdown by Accept)",
             responses={200: {"content": {"text/html": {}, "text/markdown": {}}}, **_problems(404, 406)})
    async def sheet(request: Request, code: str) -> Response:
        accept = request.headers.get("accept", "*/*")
        if "text/markdown" in accept and "text/html" not in accept:
            return await _sheet(request, code, "md")
        if any(kind in accept for kind in ("text/html", "text/*", "*/*")):
            return await _sheet(request, code, "html")
        raise Problem("not-acceptable", "the sheet is text/html or text/markdown",
                      [p.entry("", "not-acceptable", f"Accept '{accept}' allows neither", None)])

    @app.get("/v1/products/{code}/sheet.html", tags=["catalogue"], summary="The product sheet as HTML",
             responses={200: {"content": {"text/html": {}}}, **_problems(404)})
    async def sheet_html(request: Request, code: str) -> Response:
        return await _sheet(request, code, "html")

    @app.get("/v1/products/{code}/sheet.md", tags=["catalogue"], summary="The product sheet as Markdown",
             responses={200: {"content": {"text/markdown": {}}}, **_problems(404)})
    async def sheet_md(request: Request, code: str) -> Response:
        return await _sheet(request, code, "md")

    sheets: dict[str, tuple[Any, dict[str, str]]] = {}  # by format: the engine they were rendered from, the files

    async def _sheet(request: Request, code: str, fmt: str) -> Response:
        engine = engine_for(request)
        product_or_404(engine, code)
        kept = sheets.get(fmt)
        if kept is None or kept[0] is not engine:  # rendered once per catalogue and format
            kept = sheets[fmt] = (engine, await run_in_threadpool(_render_sheets, engine, fmt))
        text = kept[1].get(f"{code}.{fmt}", "")
        return Response(text, media_type="text/html; charset=utf-8" if fmt == "html" else "text/markdown; charset=utf-8")


def _render_sheets(engine, fmt: str) -> dict[str, str]:
    from .sheets import STYLESHEET, render_sheets

    files = render_sheets(engine, fmt)
    if fmt == "html":  # one page on its own: the stylesheet goes inside it
        style = "<style>\n" + files[STYLESHEET] + "</style>"
        files = {name: text.replace(f'<link rel="stylesheet" href="{STYLESHEET}">', style)
                 for name, text in files.items()}
    return files


class DuplexStream(Response):
    """A streamed answer written while the request body is still being read.

    Starlette's StreamingResponse may listen for the client's disconnect on the same channel the
    body arrives on, and so swallow the body: this one only sends, and the body's reader sees a
    disconnect itself.
    """

    def __init__(self, chunks: AsyncIterator[bytes], media_type: str):
        super().__init__(None, media_type=media_type)
        # the length is not known in advance: the answer goes out chunked
        self.raw_headers = [(key, value) for key, value in self.raw_headers if key != b"content-length"]
        self.chunks = chunks

    async def __call__(self, scope, receive, send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        try:
            async for chunk in self.chunks:
                if chunk:
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
        except ClientDisconnect:
            return  # nobody is listening any more
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _lines(request: Request, max_line: int) -> AsyncIterator[tuple[int, str | _Unreadable]]:
    """The physical lines of the body as they arrive (number, text); a line over `max_line` bytes is
    refused by itself, without holding it."""
    rest, number, skipping = b"", 0, False  # skipping: inside a line already refused as too long
    async for chunk in request.stream():
        pieces = (rest + chunk).split(b"\n")  # one pass per chunk: every complete line, and the rest
        rest = pieces.pop()
        for line in pieces:
            if skipping:  # the end of the line refused
                skipping = False
                continue
            number += 1
            yield number, _decoded(line, max_line)
        if len(rest) > max_line:
            if not skipping:
                number += 1
                yield number, _too_long(max_line)
                skipping = True
            rest = b""
    if rest and not skipping:
        yield number + 1, _decoded(rest, max_line)


def _too_long(max_line: int) -> _Unreadable:
    return _Unreadable(f"the line is longer than {max_line} bytes",
                       "send one case per line, each a small JSON object of facts")


def _decoded(raw: bytes, max_line: int) -> str | _Unreadable:
    if len(raw) > max_line:
        return _too_long(max_line)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return _Unreadable("the line is not UTF-8 text", "send JSON Lines encoded as UTF-8")


async def _evaluated_lines(request: Request, job: Job, max_line: int) -> AsyncIterator[bytes]:
    """Read, evaluate and answer the stream a chunk at a time: memory stays flat however long it is."""
    records: list[tuple] = []
    row = 0
    async for number, payload in _lines(request, max_line):
        if isinstance(payload, str) and not payload.strip():
            continue  # blank lines are not cases
        row += 1
        records.append((row, number, payload))
        if len(records) >= BATCH_CHUNK:
            done = await run_in_threadpool(job.run, records)
            records = []
            yield done.text
    if records:
        yield (await run_in_threadpool(job.run, records)).text
