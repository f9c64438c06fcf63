"""Limits on what one request may ask and on how many are served at once.

- Request bodies past `max_upload_bytes` get 413 before they are read (by their
  Content-Length) or as soon as they pass the limit (bodies sent in chunks).
- Admission: at most `max_concurrent` requests are being served or waiting for a worker;
  one more gets 429 with `Retry-After` at once, instead of waiting without bound.
- Text past `max_text_chars` gets 400 before any work.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voxtune.serve.config import LimitsConfig
from voxtune.serve.errors import ErrorShapes, ServeError
from voxtune.serve.metrics import Metrics


def too_large(limit: int) -> ServeError:
    return ServeError(413, f"the request body is larger than this server's limit of {limit} "
                      "bytes (--max-upload-bytes); send less, or a compressed format "
                      "(flac, mp3, ogg)", code="request_too_large")


class BodyLimit:
    """Refuses request bodies larger than `limit` bytes (pure ASGI middleware)."""

    def __init__(self, app: ASGIApp, limit: int, shapes: ErrorShapes, metrics: Metrics):
        self.app, self.limit, self.shapes, self.metrics = app, limit, shapes, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            self.metrics.rejected.labels("upload_bytes").inc()
            response = self.shapes.response(scope["path"], too_large(self.limit))
            await response(scope, receive, send)
            return
        seen = 0

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                self.metrics.rejected.labels("upload_bytes").inc()
                raise too_large(self.limit)
            return message

        await self.app(scope, counted, send)


class Ticket:
    """One admitted request's place; `release` (idempotent) frees it."""

    def __init__(self, admission: "Admission"):
        self.admission, self.held = admission, True

    def release(self) -> None:
        if self.held:
            self.held = False
            self.admission.active -= 1
            self.admission.metrics.in_flight.dec()


class Admission:
    """Admits at most `max_concurrent` requests (the event loop's thread only)."""

    def __init__(self, limits: LimitsConfig, metrics: Metrics):
        self.limits, self.metrics, self.active = limits, metrics, 0

    def enter(self) -> Ticket:
        if self.active >= self.limits.max_concurrent:
            self.metrics.rejected.labels("concurrency").inc()
            raise ServeError(429, f"the server is busy with {self.active} requests, its limit "
                             "(--max-concurrent); retry after the time in Retry-After",
                             code="rate_limit_exceeded",
                             headers={"Retry-After": str(self.limits.retry_after_s)})
        self.active += 1
        self.metrics.in_flight.inc()
        return Ticket(self)


def check_text(text: str, limits: LimitsConfig, param: str) -> None:
    """Refuse empty text and text past `max_text_chars`."""
    if not text.strip():
        raise ServeError(400, f"{param} is empty: there is nothing to say",
                         code="invalid_value", param=param)
    if len(text) > limits.max_text_chars:
        raise ServeError(400, f"{param} is {len(text)} characters; this server speaks at most "
                         f"{limits.max_text_chars} per request (--max-text-chars): split the "
                         "text", code="text_too_long", param=param)
