"""`voxtune serve`: check the address is safe, load everything, listen with uvicorn."""

import logging
import os

import torch
import uvicorn

from voxtune.serve.app import build_app
from voxtune.serve.auth import check_bind
from voxtune.serve.config import API_KEY_ENV, ServeConfig

log = logging.getLogger(__name__)


def serve(config: ServeConfig) -> None:
    """Serve until interrupted. The API key is `config.api_key`, else `$VOXTUNE_API_KEY`;
    the address is checked before anything loads, so a refusal comes at once."""
    api_key = config.api_key or os.environ.get(API_KEY_ENV) or None
    check_bind(config.host, api_key)
    if config.threads > 0:
        torch.set_num_threads(config.threads)
    app = build_app(config, api_key)
    server = app.state.server
    log.info("serving %d voices of %s%s on http://%s:%d", len(server.registry.names()),
             ", ".join(m.name for m in server.registry.models) or "no TTS model",
             f" and {server.transcription.name}" if server.transcription.name else "",
             config.host, config.port)
    uvicorn.run(app, host=config.host, port=config.port, server_header=False,
                log_level="warning", timeout_graceful_shutdown=5)
