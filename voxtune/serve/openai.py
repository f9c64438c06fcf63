"""OpenAI's audio API: `POST /v1/audio/speech`, `POST /v1/audio/transcriptions`,
`GET /v1/models`, so that OpenAI's clients work with `base_url` pointed here.

Speech: `voice` is any voxtune voice name (`voxtune.serve.voices`), as a string or
`{"id": name}`; OpenAI's built-in names are voices only if a model learned them. `model`
is a loaded model's name, or one of OpenAI's (any loaded model then speaks). The body
streams as audio is decoded, for every `response_format` but flac (a whole file);
`pcm` is 16-bit little-endian mono at 24 kHz, as OpenAI's clients expect; the other
formats keep the model's rate. `stream_format=sse` sends `speech.audio.delta` events
with base64 chunks of the format, then `speech.audio.done` (usage counts the input's
characters and the codec frames spoken). `speed` is kept natural within 0.5–2 and
refused outside; `instructions` cannot be followed and are refused. voxtune adds
`language` (the text's language; default: the server's).

Transcription: multipart `file`, `model` (the recognizer's name or one of OpenAI's),
`language`, `prompt`, `temperature`, `response_format` json|text|srt|vtt|verbose_json,
`timestamp_granularities[]` word|segment (with verbose_json). `stream` is accepted and
ignored, as OpenAI does for whisper-1; fields this server cannot honour (diarization,
logprobs, chunking strategies, known speakers) are refused with a 400.
"""

import base64
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.datastructures import UploadFile

from voxtune.labeling import TranscribeOptions
from voxtune.serve.encoders import Encoder, make_encoder
from voxtune.serve.errors import ServeError, openai_error
from voxtune.serve.limits import check_text
from voxtune.serve.state import Server, ServerState
from voxtune.serve.subtitles import srt, vtt
from voxtune.serve.synthesis import SpeechJob, SpeechRun
from voxtune.serve.transcription import Heard

log = logging.getLogger(__name__)
router = APIRouter()

SPEECH_ROUTE = "/v1/audio/speech"
PCM_RATE = 24000  # what OpenAI's pcm is, and what its clients play it at
SPEECH_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "gpt-4o-mini-tts-2025-12-15")
TRANSCRIPTION_MODELS = ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe",
                        "gpt-4o-mini-transcribe-2025-12-15", "gpt-transcribe")
TRANSCRIPTION_FIELDS = ("file", "model", "language", "prompt", "response_format",
                        "temperature", "timestamp_granularities[]", "timestamp_granularities",
                        "stream")
TRANSCRIPT_FORMATS = ("json", "text", "srt", "verbose_json", "vtt")
LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


class VoiceId(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str


class SpeechRequest(BaseModel):
    """`POST /v1/audio/speech`'s body; unknown fields are refused, as OpenAI does."""

    model_config = ConfigDict(extra="forbid")
    model: str
    input: str
    voice: str | VoiceId
    instructions: str | None = None
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] = "mp3"
    speed: float = Field(1.0, ge=0.25, le=4.0)
    stream_format: Literal["audio", "sse"] = "audio"
    language: str | None = None


@router.post(SPEECH_ROUTE)
async def speech(body: SpeechRequest,
                 server: Server) -> StreamingResponse:
    started = time.monotonic()
    check_text(body.input, server.config.limits, "input")
    if body.instructions:
        raise ServeError(400, "this server cannot follow instructions; leave them out and "
                         "choose the voice instead", code="unsupported_value",
                         param="instructions")
    model = server.registry.model(body.model)
    if model is None and body.model not in SPEECH_MODELS:
        raise ServeError(404, f"model {body.model!r} is not served here; use one of: "
                         f"{', '.join(m.name for m in server.registry.models) or 'none'} "
                         f"(or {SPEECH_MODELS[0]}: any)", code="model_not_found",
                         param="model")
    name = body.voice.id if isinstance(body.voice, VoiceId) else body.voice
    voice = server.registry.resolve(name, model)
    job = SpeechJob(body.input, voice, body.language or server.config.language,
                    server.config.sampling, speed=body.speed, split=server.config.split,
                    route=SPEECH_ROUTE)
    encoder = make_encoder(body.response_format, voice.model.synthesizer.sample_rate,
                           pcm_rate=PCM_RATE)
    run = await server.synthesis.start(job, started)
    if body.stream_format == "sse":
        events = _sse(run, encoder, server, len(body.input))
        return StreamingResponse(events, media_type="text/event-stream")
    return StreamingResponse(_encoded(run, encoder, server), media_type=encoder.media_type)


async def _sse(run: SpeechRun, encoder: Encoder, server: ServerState,
               characters: int) -> AsyncIterator[bytes]:
    failed = None
    try:
        async for data in _encoded(run, encoder, server, raise_failure=True):
            yield _event({"type": "speech.audio.delta",
                          "audio": base64.b64encode(data).decode("ascii")})
    except ServeError as exc:
        failed = exc
    if failed is not None:
        yield _event({"type": "error", **openai_error(failed)})
        return
    yield _event({"type": "speech.audio.done",
                  "usage": {"input_tokens": characters, "output_tokens": run.frames,
                            "total_tokens": characters + run.frames}})


async def _encoded(run: SpeechRun, encoder: Encoder, server: ServerState,
                   raise_failure: bool = False) -> AsyncIterator[bytes]:
    """Encoded bytes of the run as it is decoded. A failure once streaming has started can
    no longer change the status: the encoder's tail still ends the file cleanly, and the
    failure is counted and logged (and raised, for SSE to report)."""
    failure = None
    try:
        async for chunk in run:
            data = encoder.encode(chunk)
            if data:
                yield data
    except ServeError as exc:
        failure = exc
    except Exception as exc:  # a bug: logged, and the stream still ends as a valid file
        log.exception("speech stream failed")
        failure = ServeError(500, f"synthesis failed ({type(exc).__name__})",
                             code="server_error")
    tail = encoder.finish()
    if tail:
        yield tail
    if failure is not None:
        server.metrics.stream_failures.labels(SPEECH_ROUTE).inc()
        log.warning("%s: stream ended early: %s", SPEECH_ROUTE, failure.message)
        if raise_failure:
            raise failure


def _event(payload: dict) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


@router.post("/v1/audio/transcriptions")
async def transcriptions(request: Request,
                         server: Server) -> Response:
    started = time.monotonic()
    form = await request.form(max_files=1)
    unknown = sorted(set(form.keys()) - set(TRANSCRIPTION_FIELDS))
    if unknown:
        raise ServeError(400, f"{unknown[0]} is not supported by this server; leave it out",
                         code="unsupported_value", param=unknown[0])
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise ServeError(400, "file is required: send the audio as multipart/form-data "
                         "field 'file'", code="invalid_value", param="file")
    _check_transcription_model(str(form.get("model") or ""), server)
    fmt = str(form.get("response_format") or "json")
    if fmt not in TRANSCRIPT_FORMATS:
        raise ServeError(400, f"response_format {fmt!r} is not one of "
                         f"{', '.join(TRANSCRIPT_FORMATS)}", code="invalid_value",
                         param="response_format")
    granularities = (form.getlist("timestamp_granularities[]")
                     + form.getlist("timestamp_granularities"))
    if set(map(str, granularities)) - {"word", "segment"}:
        raise ServeError(400, "timestamp_granularities are word and segment",
                         code="invalid_value", param="timestamp_granularities")
    if granularities and fmt != "verbose_json":
        raise ServeError(400, "timestamp_granularities need response_format=verbose_json",
                         code="invalid_value", param="timestamp_granularities")
    language = str(form.get("language") or "auto")
    if language != "auto" and not LANGUAGE_CODE.match(language):
        raise ServeError(400, f"language {language!r} is not an ISO-639-1 code such as 'en'",
                         code="invalid_value", param="language")
    options = TranscribeOptions(prompt=str(form.get("prompt") or ""),
                                temperature=_temperature(form.get("temperature")),
                                words="word" in granularities)
    data = await upload.read()
    heard = await server.transcription.transcribe(data, upload.filename or "", language,
                                                  options, started)
    return _transcript_response(heard, fmt, "word" in granularities)


def _check_transcription_model(model: str, server: ServerState) -> None:
    if "diarize" in model:
        raise ServeError(400, "this server cannot tell speakers apart (diarization); use "
                         f"{TRANSCRIPTION_MODELS[0]}", code="unsupported_value", param="model")
    if not model:
        raise ServeError(400, "model is required", code="invalid_value", param="model")
    if model != server.transcription.name and model not in TRANSCRIPTION_MODELS:
        raise ServeError(404, f"model {model!r} is not served here; use "
                         f"{server.transcription.name or TRANSCRIPTION_MODELS[0]}",
                         code="model_not_found", param="model")


def _temperature(value: object) -> float:
    try:
        temperature = float(str(value)) if value not in (None, "") else 0.0
    except ValueError:
        temperature = -1.0
    if not 0.0 <= temperature <= 1.0:
        raise ServeError(400, f"temperature {value!r} is not a number in 0..1",
                         code="invalid_value", param="temperature")
    return temperature


def _transcript_response(heard: Heard, fmt: str, words: bool) -> Response:
    text, seconds = heard.transcript.text, round(heard.seconds, 3)
    usage = {"type": "duration", "seconds": seconds}
    if fmt == "text":
        return PlainTextResponse(text)
    if fmt == "srt":
        return PlainTextResponse(srt(heard.segments))
    if fmt == "vtt":
        return PlainTextResponse(vtt(heard.segments), media_type="text/vtt")
    if fmt == "json":
        return JSONResponse({"text": text, "usage": usage})
    segments = [{"id": number, "seek": s.seek, "start": s.start, "end": s.end,
                 "text": s.text, "tokens": list(s.tokens), "temperature": s.temperature,
                 "avg_logprob": s.avg_logprob, "compression_ratio": s.compression_ratio,
                 "no_speech_prob": s.no_speech_prob}
                for number, s in enumerate(heard.segments)]
    verbose = {"task": "transcribe", "language": heard.transcript.language,
               "duration": seconds, "text": text, "segments": segments, "usage": usage}
    if words:
        verbose["words"] = [{"word": w.word, "start": w.start, "end": w.end}
                            for s in heard.segments for w in s.words]
    return JSONResponse(verbose)


@router.get("/v1/models")
async def models(server: Server) -> dict:
    """The TTS models by name, and the recognizer."""
    names = [model.name for model in server.registry.models]
    if server.transcription.name:
        names.append(server.transcription.name)
    return {"object": "list", "data": [{"id": name, "object": "model", "created": 0,
                                        "owned_by": "voxtune"} for name in names]}
