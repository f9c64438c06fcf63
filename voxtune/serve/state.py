"""What the routes of every dialect share: the loaded voices, the services, the limits."""

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from voxtune.serve.config import ServeConfig
from voxtune.serve.errors import ErrorShapes
from voxtune.serve.limits import Admission
from voxtune.serve.metrics import Metrics
from voxtune.serve.synthesis import SynthesisService
from voxtune.serve.transcription import TranscriptionService
from voxtune.serve.voices import VoiceRegistry


@dataclass
class ServerState:
    config: ServeConfig
    registry: VoiceRegistry
    synthesis: SynthesisService
    transcription: TranscriptionService
    metrics: Metrics
    admission: Admission
    shapes: ErrorShapes


def server_state(request: Request) -> ServerState:
    """The FastAPI dependency that hands a route its server."""
    return request.app.state.server


Server = Annotated[ServerState, Depends(server_state)]  # a route's `server: Server` argument
