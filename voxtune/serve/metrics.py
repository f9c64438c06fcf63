"""Prometheus metrics of the server, served at `GET /metrics` in the text format.

Each app has a registry of its own (not prometheus_client's global one), so several apps
in one process, as in tests, count apart. Requests are counted by route template
(`/v1/audio/speech`, not the raw path, so a scan of random paths cannot grow the label
set: unmatched paths count as `other`) and status; the latency of a streamed response
runs to its last byte.
"""

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


class Metrics:
    """The counters, gauges and histograms `voxtune serve` keeps."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("voxtune_requests", "HTTP requests by route and status",
                                ["route", "status"], registry=self.registry)
        self.latency = Histogram("voxtune_request_seconds", "time from request to last byte",
                                 ["route"], buckets=SECONDS, registry=self.registry)
        self.first_audio = Histogram("voxtune_first_audio_seconds",
                                     "time from request to the first audio ready to send",
                                     ["route"], buckets=SECONDS, registry=self.registry)
        self.queue_depth = Gauge("voxtune_queue_depth",
                                 "admitted requests waiting for a worker", ["work"],
                                 registry=self.registry)
        self.in_flight = Gauge("voxtune_in_flight", "admitted requests, running or waiting",
                               registry=self.registry)
        self.audio_out = Counter("voxtune_audio_produced_seconds",
                                 "seconds of speech synthesized", registry=self.registry)
        self.audio_in = Counter("voxtune_audio_transcribed_seconds",
                                "seconds of audio transcribed", registry=self.registry)
        self.rejected = Counter("voxtune_rejected", "requests refused for a limit",
                                ["limit"], registry=self.registry)
        self.stream_failures = Counter("voxtune_stream_failures",
                                       "streams ended early by an error or the time limit",
                                       ["route"], registry=self.registry)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts every request and times it to its last byte (pure ASGI, so that streamed
    bodies pass through untouched)."""

    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500

        async def counted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, counted)
        finally:
            route = getattr(scope.get("route"), "path", "other")
            self.metrics.requests.labels(route, str(status)).inc()
            self.metrics.latency.labels(route).observe(time.perf_counter() - started)
