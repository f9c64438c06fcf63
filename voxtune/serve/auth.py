"""Who may use the server: loopback only unless an API key is set, and the key checked in
constant time on every request.

GPT-SoVITS's API has no authentication and its legacy server binds every address;
fish-speech compares keys with `!=`, whose time leaks how much of a guess was right.
Here a non-loopback bind without a key refuses to start, and `hmac.compare_digest`
compares the bearer token. `GET /health` stays open so that orchestrators can probe it; it
says nothing but that the server is up.
"""

import hmac
import ipaddress

from starlette.types import ASGIApp, Receive, Scope, Send

from voxtune.errors import InputError
from voxtune.serve.config import API_KEY_ENV, LOOPBACK_HOSTS
from voxtune.serve.errors import ErrorShapes, ServeError

OPEN_PATHS = frozenset({"/health"})


def is_loopback(host: str) -> bool:
    """Whether `host` is an address only this machine reaches (127.0.0.0/8, ::1)."""
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def check_bind(host: str, api_key: str | None) -> None:
    """Refuse to listen beyond this machine without an API key."""
    if not is_loopback(host) and not api_key:
        raise InputError(f"--host {host} lets other machines in, so it needs an API key: "
                         f"pass --api-key KEY or set {API_KEY_ENV} (clients send "
                         "'Authorization: Bearer KEY'), or serve on 127.0.0.1")


class BearerAuth:
    """Requires `Authorization: Bearer <api_key>` on every request but `OPEN_PATHS`."""

    def __init__(self, app: ASGIApp, api_key: str, shapes: ErrorShapes):
        self.app, self.key, self.shapes = app, api_key.encode(), shapes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        error = ServeError(401, "missing or wrong API key: send 'Authorization: Bearer KEY' "
                           "with the key the server was started with", code="invalid_api_key",
                           headers={"WWW-Authenticate": "Bearer"})
        await self.shapes.response(scope["path"], error)(scope, receive, send)

    def _allowed(self, scope: Scope) -> bool:
        header = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, token = header.partition(b" ")
        return scheme.lower() == b"bearer" and hmac.compare_digest(token.strip(), self.key)
