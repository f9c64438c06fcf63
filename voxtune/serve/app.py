"""The server as one FastAPI app: the shared core and each dialect's routes.

`build_app` loads the voices and the recognizer, then wires the parts, outermost first:
metrics (every request counted, refusals included) → API key → body-size limit → routes.
The core's own routes are `GET /health` (open, for probes), `GET /metrics` (Prometheus)
and `GET /voices` (every voice name). A dialect is an `APIRouter` over `ServerState`
that registers its error shape; adding one is a module and two lines here.
"""

from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Response

from voxtune.errors import InputError
from voxtune.serve import fishspeech, gptsovits, openai
from voxtune.serve.auth import BearerAuth
from voxtune.serve.config import ServeConfig
from voxtune.serve.errors import ErrorShapes, install_error_handlers, openai_error
from voxtune.serve.limits import Admission, BodyLimit
from voxtune.serve.metrics import CONTENT_TYPE, Metrics, MetricsMiddleware
from voxtune.serve.state import Server, ServerState
from voxtune.serve.synthesis import SynthesisService
from voxtune.serve.transcription import TranscriptionService
from voxtune.serve.voices import VoiceRegistry

core = APIRouter()


@core.get("/health")
async def health() -> dict:
    return {"status": "ok"}


@core.get("/metrics")
async def metrics(server: Server) -> Response:
    return Response(server.metrics.exposition(), media_type=CONTENT_TYPE)


@core.get("/voices")
async def voices(server: Server) -> dict:
    """Voice names every dialect accepts (clips inside the voices folder go by path too),
    the models and the recognizer."""
    return {"voices": server.registry.names(),
            "models": [model.name for model in server.registry.models],
            "asr": server.transcription.name}


def build_app(config: ServeConfig, api_key: str | None = None) -> FastAPI:
    """The app serving `config`'s models; every request needs `api_key` when it is set."""
    metrics = Metrics()
    admission = Admission(config.limits, metrics)
    shapes = ErrorShapes()
    shapes.register("/v1/", openai_error)
    for prefix in gptsovits.PREFIXES:
        shapes.register(prefix, gptsovits.api_v2_error)
    for prefix in fishspeech.ERROR_PREFIXES:
        shapes.register(prefix, fishspeech.fish_error)
    registry = VoiceRegistry.load(config.models, config.voices, config.device,
                                  config.default_voice)
    transcription = TranscriptionService(config.asr, config.limits, admission, metrics)
    if not registry.models and transcription.name is None:
        raise InputError("nothing to serve: pass --model vox-base (or a voice folder), "
                         "--voices with merged voices in it, or a recognizer with --asr")
    server = ServerState(config, registry, SynthesisService(config, admission, metrics),
                         transcription, metrics, admission, shapes)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        server.synthesis.shutdown()
        server.transcription.shutdown()

    app = FastAPI(title="voxtune", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.server = server
    install_error_handlers(app, shapes)
    app.include_router(core)
    app.include_router(openai.router)
    app.include_router(gptsovits.router)
    app.include_router(fishspeech.router)
    app.add_middleware(BodyLimit, limit=config.limits.max_upload_bytes, shapes=shapes,
                       metrics=metrics)
    if api_key:
        app.add_middleware(BearerAuth, api_key=api_key, shapes=shapes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app
