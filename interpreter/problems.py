"""Problem details (RFC 9457) from the errors of each stage: what the HTTP service answers when it cannot."""
from __future__ import annotations

from typing import Any

from .errors import CaseError, CatalogueError, ErrorList

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:reintegration-catalogue:problem:"

# The kinds of problem a client can meet: status, title. docs/api.md lists them with examples.
KINDS = {
    "malformed-json": (400, "The body is not valid JSON"),
    "not-found": (404, "There is no such resource"),
    "unknown-product": (404, "There is no product with this code"),
    "method-not-allowed": (405, "This method is not allowed here"),
    "not-acceptable": (406, "None of the accepted media types can be given"),
    "body-too-large": (413, "The body is larger than this service accepts"),
    "unsupported-media-type": (415, "The body has a media type this endpoint does not read"),
    "invalid-request": (422, "The request has values of the wrong shape or type"),
    "evaluation-failed": (422, "The product could not be evaluated for this case"),
    "internal-error": (500, "Something went wrong inside the service"),
    "not-ready": (503, "No catalogue is loaded yet"),
}


def escape_pointer(token: Any) -> str:
    """One JSON Pointer reference token (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def pointer(*tokens: Any) -> str:
    return "".join("/" + escape_pointer(token) for token in tokens)


def entry(pointer_: str, code: str, message: str, hint: str | None = None, **extra: Any) -> dict:
    """One problem of a request: where (a JSON Pointer into the body or the URL's parameters), what, how to fix."""
    return {"pointer": pointer_, "code": code, "message": message, "hint": hint, **extra}


def problem(kind: str, detail: str, errors: list[dict] | None = None, **extra: Any) -> dict:
    status, title = KINDS[kind]
    return {"type": TYPE_BASE + kind, "title": title, "status": status, "detail": detail,
            "errors": errors or [], **extra}


def fact_entries(error: CatalogueError, base: tuple = ("facts",)) -> list[dict]:
    """Every problem of a set of facts, each pointing at its fact (`/facts/registered_on`)."""
    errors = error.errors if isinstance(error, ErrorList) else [error]
    out = []
    for item in errors:
        fact = getattr(item, "fact", None)
        where = pointer(*base, fact) if fact else pointer(*base)
        out.append(entry(where, getattr(item, "code", "invalid-fact") if isinstance(item, CaseError)
                         else item.stage, item.message, item.hint))
    return out


def row_problem(row: int, line: int, ident: Any, error: CatalogueError) -> dict:
    """A bad line of a streamed batch: a problem object in the line's place, with its line number."""
    errors = error.errors if isinstance(error, ErrorList) else [error]
    entries = [entry(pointer(getattr(item, "fact")) if getattr(item, "fact", None) else "",
                     getattr(item, "code", item.stage), item.message, item.hint,
                     line=item.position.line, column=item.position.column) for item in errors]
    kind = "malformed-json" if any(e["code"] == "malformed-json" for e in entries) else "invalid-request"
    if any(item.stage == "evaluation" for item in errors):
        kind = "evaluation-failed"
    found = problem(kind, f"line {line}: " + "; ".join(item.message for item in errors), entries)
    return {"row": row, "line": line, "id": ident, **found}
