"""`voxtune serve`: one HTTP server for the voices and the recognizer, in the dialects
their users' clients speak (OpenAI's today).

Modules, one idea each: `config` (what is served and the limits), `voices` (names →
models and prompts, the voices folder's safety), `synthesis` and `transcription` (the
services every dialect calls), `encoders` (response formats, streamed), `uploads`
(request audio), `auth` and `limits` (who and how much), `metrics`, `errors` (JSON
errors in each dialect's shape), `app` (wiring and the core routes), `server` (uvicorn),
and one module per dialect (`openai`).
"""

from voxtune.serve.config import LimitsConfig, ServeConfig
from voxtune.serve.server import serve

__all__ = ["LimitsConfig", "ServeConfig", "serve"]
