"""The HTTP service: the catalogue under /v1 (FastAPI on uvicorn), results in the published contract, problems in RFC 9457."""
from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from pathlib import Path
from typing import Any, AsyncIterator

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.requests import ClientDisconnect
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from . import openapi
from . import problems as p
from .batch import Job
from .batchreader import Unreadable
from .errors import LookupProblem
from .rows import rule_ids
from .live import LiveCatalogue

log = logging.getLogger("catalogue.service")

from .wire import (
    BATCH_CHUNK, EVALUATE_PATH, JSON, JSON_LINES, LARGEST, Problem, RECEIPT_HEADERS, Settings,
    _dumps, _lookup_problem, _media_type, _too_large, evaluate_answer, fact_entry, json_response,
    parse_day, problem_response, product_detail, product_or_404, product_summary, read_body,
    read_within, require_json_lines,
)

NO_RECEIPT = {"engine": __version__, "catalogue_hash": ""}  # while no catalogue is loaded


def _receipt_headers(receipt: dict) -> list[tuple[bytes, bytes]]:
    return [(b"catalogue-hash", receipt["catalogue_hash"].encode()), (b"engine-version", receipt["engine"].encode())]


def _incident(scope) -> dict:
    """The 500 problem for something unexpected, logged with the traceback under an incident id."""
    incident = uuid.uuid4().hex[:12]
    log.exception("unexpected error, incident %s, %s %s", incident, scope.get("method"), scope.get("path"))
    return p.problem("internal-error", f"an unexpected error occurred; the service's log has incident {incident}",
                     incident=incident)


class ReceiptAndSafety:
    """Pure ASGI middleware: the receipt headers on every response, and a 500 problem (never a traceback)
    when something unexpected happens, logged with an incident id."""

    def __init__(self, app, live: LiveCatalogue):
        self.app = app
        self.live = live

    def _receipt(self, scope) -> dict:
        return _receipt_of((scope.get("state") or {}).get("receipt"), self.live)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", []), *_receipt_headers(self._receipt(scope))]}
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:  # noqa: BLE001 - the last line of defence: a client never sees a traceback
            body = _incident(scope)
            if started:
                return  # the status is gone already; a stream simply ends, and the log has the incident
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
        receipt = engine.receipt if engine is not None else NO_RECEIPT
        stamp = _receipt_headers(receipt)
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
            body = _incident(scope)
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
    # FastAPIOffline is a function that builds a plain FastAPI, so no subclass can be made through it; and
    # as a middleware the fast path would sit behind FastAPI's own outer stack, the cost it is there to
    # avoid (benchmarks/README.md). ServiceApp adds only __call__ and no state of its own.
    app.__class__ = ServiceApp
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


def _state_receipt(request: Request, live: LiveCatalogue) -> dict:
    return _receipt_of(getattr(request.state, "receipt", None), live)


def _receipt_of(taken: dict | None, live: LiveCatalogue) -> dict:
    """The receipt of the engine a request took; else the one loaded now; else the engine's version alone."""
    if taken is not None:
        return taken
    engine = live.engine
    return engine.receipt if engine is not None else NO_RECEIPT


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
                       "description": "the product code, as GET /v1/products lists them"},
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


async def _lines(request: Request, max_line: int) -> AsyncIterator[tuple[int, str | Unreadable]]:
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


def _too_long(max_line: int) -> Unreadable:
    return Unreadable(f"the line is longer than {max_line} bytes",
                       "send one case per line, each a small JSON object of facts")


def _decoded(raw: bytes, max_line: int) -> str | Unreadable:
    if len(raw) > max_line:
        return _too_long(max_line)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return Unreadable("the line is not UTF-8 text", "send JSON Lines encoded as UTF-8")


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
