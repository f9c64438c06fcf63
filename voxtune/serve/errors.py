"""Every refusal is a JSON body with a message for people, in the shape its dialect's
clients parse, never a traceback.

Code anywhere in the server raises `ServeError` (status, message, a stable `code`, the
request field at fault). Which JSON shape the client gets depends on the route: each
dialect registers its path prefixes and a shape (OpenAI's `{"error": {message, type,
param, code}}` is the shape of the server's own routes too). Request validation errors
become 400s in the same shapes, and an unexpected exception a 500 that says to read the
server's log, where its traceback goes.
"""

import logging
from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

log = logging.getLogger(__name__)


class ServeError(HTTPException):
    """A request the server refuses. An `HTTPException`, so that FastAPI passes it through
    unchanged even from inside body parsing (an upload over the size limit)."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 param: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(status_code=status, detail=message, headers=headers)
        self.message, self.code, self.param = message, code, param


ErrorShape = Callable[[ServeError], dict]


def openai_error(error: ServeError) -> dict:
    """OpenAI's error object; `type` as OpenAI names the kinds of failure."""
    if error.status_code == 429:
        kind = "rate_limit_error"
    elif error.status_code >= 500:
        kind = "server_error"
    else:
        kind = "invalid_request_error"
    return {"error": {"message": error.message, "type": kind, "param": error.param,
                      "code": error.code}}


class ErrorShapes:
    """The error shape of each route, by the longest registered path prefix."""

    def __init__(self, fallback: ErrorShape = openai_error):
        self.fallback = fallback
        self.prefixes: dict[str, ErrorShape] = {}

    def register(self, prefix: str, shape: ErrorShape) -> None:
        self.prefixes[prefix] = shape

    def response(self, path: str, error: ServeError) -> JSONResponse:
        matches = [prefix for prefix in self.prefixes if path.startswith(prefix)]
        shape = self.prefixes[max(matches, key=len)] if matches else self.fallback
        return JSONResponse(shape(error), status_code=error.status_code,
                            headers=error.headers)


def install_error_handlers(app: FastAPI, shapes: ErrorShapes) -> None:
    """Route every failure of `app` through `shapes`."""

    async def refused(request: Request, exc: HTTPException) -> JSONResponse:
        error = exc if isinstance(exc, ServeError) else ServeError(
            exc.status_code, str(exc.detail), headers=exc.headers)
        return shapes.response(request.url.path, error)

    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return shapes.response(request.url.path, validation_error(exc))

    async def crashed(request: Request, exc: Exception) -> JSONResponse:
        log.exception("%s %s failed", request.method, request.url.path)
        return shapes.response(request.url.path, ServeError(
            500, "the server failed on this request; its log says why", code="server_error"))

    app.add_exception_handler(HTTPException, refused)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(Exception, crashed)


def validation_error(exc: RequestValidationError) -> ServeError:
    """The first thing wrong with a request, as a 400 naming the field."""
    first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid request"}
    if first.get("type") == "json_invalid":
        reason = first.get("ctx", {}).get("error", "")
        return ServeError(400, f"the request body is not valid JSON ({reason})",
                          code="invalid_json")
    where = [str(part) for part in first.get("loc", ()) if part not in ("body", "query",
                                                                        "form")]
    field = ".".join(where) or None
    message = f"{field}: {first['msg']}" if field else str(first["msg"])
    return ServeError(400, message, code="invalid_value", param=field)
