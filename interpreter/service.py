"""The HTTP service: the catalogue under /v1 (FastAPI on uvicorn), results in the published contract, problems in RFC 9457."""
from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, AsyncIterator

import orjson
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.requests import ClientDisconnect
from starlette.routing import Route
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from . import nodes as n
from . import problems as p
from .batch import Job, _Unreadable, value_converter
from .rows import rule_ids
from .errors import CatalogueError, LookupProblem, Position, RuleSyntaxError
from .policy.jsonschema import case_schema, result_schema
from .live import LiveCatalogue
from .model import Product
from .parser import parse_date
from .results import type_name, to_json

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
    earliest: dt.date = dt.date(1900, 1, 1)  # dates outside these years are typing errors, not cases
    latest: dt.date = dt.date(2199, 12, 31)


class Problem(Exception):
    """A request the service answers with a problem object instead of a result."""

    def __init__(self, kind: str, detail: str, errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail)
        self.body = p.problem(kind, detail, errors)
        self.headers = headers or {}


# -- reading a request ---------------------------------------------------------------------------

def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


def require_json(request: Request) -> None:
    kind = _media_type(request)
    if kind != JSON and not kind.endswith("+json"):
        raise Problem("unsupported-media-type", f"the body must be {JSON}, not '{kind or 'none given'}'",
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
    """The body as JSON, numbers exact (Decimal); 400 with the line and column when it is not JSON."""
    try:
        return json.loads(body.decode("utf-8"), parse_float=Decimal, parse_constant=_refuse_constant)
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


def parse_day(text: Any, where: str, settings: Settings, problems: list[dict]) -> dt.date | None:
    """A date of the request (YYYY-MM-DD within the service's years), or a problem at `where`."""
    if text is None:
        return None
    if not isinstance(text, str):
        problems.append(p.entry(where, "invalid-date", f"must be a date as text, not {json.dumps(text, default=str)}",
                                "write dates as YYYY-MM-DD, e.g. 2016-04-01"))
        return None
    try:
        day = parse_date(text, Position("<request>", 1, 1))
    except RuleSyntaxError as error:
        problems.append(p.entry(where, "invalid-date", error.message, error.hint))
        return None
    if not settings.earliest <= day <= settings.latest:
        problems.append(p.entry(where, "date-out-of-range", f"{text} is outside the years this service accepts",
                                f"give a date from {settings.earliest} to {settings.latest}"))
        return None
    return day


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


# Numbers as they enter: an amount of 10**999999 is a typing error or an attack, not a case (and would
# overflow the decimal context in the middle of an evaluation).
LARGEST = Decimal(10) ** 12
DECIMALS = 12


def _bounded(number: Decimal) -> bool:
    return number.is_finite() and abs(number) < LARGEST and number.as_tuple().exponent >= -DECIMALS


_CONVERTERS: dict[int, tuple[Any, dict]] = {}  # by id() of a catalogue's vocabulary (kept alive with it)


def converters_for(engine) -> dict:
    """batch's converters of JSON values, one per fact: the case-file rules, with fast paths for the
    usual values. Made once per catalogue."""
    vocabulary = engine.catalogue.vocabulary
    kept = _CONVERTERS.get(id(vocabulary))
    if kept is None or kept[0] is not vocabulary:
        _CONVERTERS.clear()  # only the catalogue being served
        kept = _CONVERTERS[id(vocabulary)] = (vocabulary, {
            name: value_converter(fact, vocabulary) for name, fact in vocabulary.facts.items()})
    return kept[1]


def convert_facts(raw: dict, engine, settings: Settings, problems: list[dict]) -> dict:
    """Typed facts; the problems of every wrong fact go to `problems`, each pointing at /facts/<name>."""
    converters, facts = converters_for(engine), {}
    for name, value in raw.items():
        convert = converters.get(name)
        try:
            if convert is None:
                facts.update(engine.facts({name: value}))  # raises for an unknown fact; knows rules_on
            elif value is not None:  # null: written but not known yet
                converted = convert(value)
                if type(converted) is Decimal and not _bounded(converted):
                    problems.append(p.entry(p.pointer("facts", name), "number-out-of-range",
                                            f"'{name}' is {value}: outside what a case can hold",
                                            f"give a number below {LARGEST:,} with at most {DECIMALS} decimals"))
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


def _source(product: Product, citation) -> dict | None:
    if citation is None:
        return None
    return {"document": citation.document, "title": product.edition, "section": citation.section,
            "quote": citation.quote}


def product_summary(editions: list[Product]) -> dict:
    latest = editions[-1]
    return {"code": latest.code, "title": latest.title, "family": latest.family,
            "editions": [_edition(product) for product in editions], "source": _source(latest, latest.citation)}


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
    rules = [{"id": rule.id, "kind": rule.section, "label": rule.label, "source": _source(product, rule.citation)}
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


def create_app(settings: Settings | None = None, live: LiveCatalogue | None = None) -> FastAPI:
    """The service's application. `live` defaults to the catalogue of `settings.root`, loaded now."""
    from fastapi_offline import FastAPIOffline

    settings = settings or Settings()
    if live is None:
        live = LiveCatalogue(settings.root, settings.backend)
        live.load()
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
    # The hot path: evaluate is served by a plain Starlette route in front of all others, with the same
    # endpoint function. FastAPI's route stays behind it only for the OpenAPI document: its per-request
    # machinery (dependencies, parameter checks) cost as much as an evaluation, and evaluate reads
    # its path, query and body itself.
    documented = next(route for route in app.router.routes if getattr(route, "path", "") == EVALUATE_PATH)
    app.router.routes.insert(0, Route(EVALUATE_PATH, documented.endpoint, methods=["POST"], include_in_schema=False))
    app.openapi = _openapi(app)
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
        # The path and query are read here rather than by FastAPI's parameters: on the hot path that
        # parsing cost as much as the evaluation. openapi_extra documents them.
        code = request.path_params["code"]
        explain = request.query_params.get("explain", "false").lower() in ("true", "1", "yes")
        engine = engine_for(request)
        product_or_404(engine, code)
        require_json(request)
        data = parse_json(await read_body(request, settings.max_body))
        facts, as_of, rules_on = read_evaluate_body(data, engine, settings)
        try:
            result = engine.evaluate(code, facts, as_of=as_of, rules_on=rules_on, explain=explain, typed=True)
        except LookupProblem as error:
            raise _lookup_problem(error, "/rules_on" if rules_on else "/as_of") from None
        except CatalogueError as error:
            raise Problem("evaluation-failed", f"{error.position}: {error.message}",
                          [p.entry("", error.stage, error.message, error.hint, location=str(error.position))])
        return json_response(to_json(result, explain))

    stream_body = {"required": True, "content": {JSON_LINES[0]: {"schema": {"type": "string"}}}}

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
                  within: int = Query(..., ge=0, le=settings.max_within, description="days from as_of"),
                  as_of: str | None = date_query("the first day of the window (default: today)"),
                  rules_on: str | None = date_query("the day whose rules apply, for every case "
                                                    "(default: each case's own)")) -> Response:
        return await _stream(request, code, as_of, rules_on, within)

    async def _stream(request: Request, code: str, as_of_text: str | None, rules_on_text: str | None,
                      within: int | None) -> Response:
        engine = engine_for(request)
        editions = product_or_404(engine, code)
        require_json_lines(request)
        problems: list[dict] = []
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


# -- the OpenAPI document: the result contract and the problem shape as components ---------------

def _openapi(app: FastAPI):
    from fastapi.openapi.utils import get_openapi

    built_for: list = [None]  # the engine whose vocabulary the document describes: a reload renews it

    def build() -> dict:
        engine = app.state.live.engine
        if app.openapi_schema and built_for[0] is engine:
            return app.openapi_schema
        document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = document.setdefault("components", {}).setdefault("schemas", {})
        components.update(_contract_components(app.state.live, app.state.settings))
        app.openapi_schema, built_for[0] = document, engine
        return document

    return build


def _hoisted(schema: dict) -> tuple[dict, dict]:
    """A JSON Schema with its $defs moved out to OpenAPI components (the refs rewritten)."""
    text = json.dumps(schema).replace('"#/$defs/', '"#/components/schemas/')
    schema = json.loads(text)
    defs = schema.pop("$defs", {})
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    return schema, defs


def _contract_components(live: LiveCatalogue, settings: Settings) -> dict:
    result, defs = _hoisted(result_schema())
    result["description"] = ("The result contract: catalogue/schemas/result.schema.json, which `catalogue schema` "
                             "writes; this is the same schema. Fields and statuses: docs/api.md.")
    vocabulary = live.engine.catalogue.vocabulary if live.engine else None
    facts = case_schema(vocabulary) if vocabulary else {"type": "object"}
    facts.pop("$schema", None)
    facts["maxProperties"] = settings.max_facts
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
    date = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$", "examples": ["2016-04-01"]}
    request = {"type": "object", "additionalProperties": False, "required": ["facts"],
               "properties": {"facts": {"$ref": "#/components/schemas/Facts"}, "as_of": date, "rules_on": date},
               "examples": [{"facts": {"registered_on": "2016-04-01", "price": 4000,
                                       "phases": ["orientation", "mediation"], "hard_to_place": False}}]}
    return {"Result": result, **defs, "Facts": facts, "EvaluateRequest": request, "Problem": problem,
            "ProblemEntry": problem_entry}

