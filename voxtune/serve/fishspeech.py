"""fish-speech's HTTP API (its `tools/api_server.py`), so that its clients, its
`tools/api_client.py` and web UI among them, work with their URL pointed here.

`POST /v1/tts` takes fish-speech's `ServeTTSRequest` as msgpack (`Content-Type:
application/msgpack`, what its clients send) or as JSON (reference audio in base64). The
voice: `reference_id` is any voxtune voice name (`voxtune.serve.voices`: a reference id,
a speaker a model learned, a clip's path) and wins over `references`, as in fish-speech;
inline `references` (clips and their transcripts) are decoded as uploads are and joined
in order into one prompt; with neither, the voice is `default`. An unknown id is a 404,
never another voice.

`format`: `wav` (16-bit; a whole file with exact sizes, or with `streaming` a header for
unknown length and then the audio as it is decoded: fish-speech's streamed header states
a length of zero, which readers believe), `pcm` (16-bit little-endian mono, no header),
`mp3`, `opus` (Ogg); all at the model's rate but opus (48 kHz). `streaming` works with
every format, not only wav as in fish-speech, since each encoder here streams; without
it the file is sent whole once it is spoken, so a failure on the way is still a JSON
error.

Sampling: `temperature`, `top_p`, `repetition_penalty` and `seed` apply to the request
(absent or null: the server's settings); `max_new_tokens` caps each piece's codec frames
below the server's own cap (0: the server's cap). Accepted and ignored, being harmless
here: `chunk_length` (voxtune splits text by its own rule), `normalize` (text is always
normalized), `latency`, `use_memory_cache` (references are encoded per request),
`mp3_bitrate`, `opus_bitrate`. From fish.audio's hosted API, `prosody.speed` is
honoured; `prosody.volume` other than 0 and a `sample_rate` other than the model's are
refused. voxtune adds `language` (default: the server's). Unknown fields are refused,
since a misspelled `reference_id` would otherwise speak in another voice.

References, on the voices folder (`voxtune.serve.references`): `POST
/v1/references/add` (multipart `id`, `audio`, `text`; msgpack or JSON work too), `GET
/v1/references/list`, `DELETE /v1/references/delete` (`reference_id`), `POST
/v1/references/update` (`old_reference_id`, `new_reference_id`). Like fish-speech's, they
answer in msgpack unless the client asks for JSON (`?format=json`, or `Accept:
application/json`). `GET|POST /v1/health` answers `{"status": "ok"}`. Errors are JSON in
fish-speech's shape (`fish_error`).
"""

import base64
import binascii
import json
import tempfile
import time
from dataclasses import dataclass, replace
from http import HTTPStatus
from pathlib import Path
from typing import Annotated, Literal

import msgpack
import numpy as np
from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from voxtune.audio.io import resample, write_audio
from voxtune.audio.tempo import MAX_SPEED, MIN_SPEED
from voxtune.serve.config import LimitsConfig
from voxtune.serve.encoders import Encoder, make_encoder
from voxtune.serve.errors import ServeError
from voxtune.serve.limits import check_text
from voxtune.serve.references import (
    add_reference,
    check_reference_id,
    check_transcript,
    delete_reference,
    rename_reference,
    voices_folder,
)
from voxtune.serve.state import Server, ServerState
from voxtune.serve.synthesis import SpeechJob, SpeechRun
from voxtune.serve.uploads import decode_upload
from voxtune.serve.voices import DEFAULT, Reference, Voice
from voxtune.tts.generate import SamplingConfig
from voxtune.tts.synthesize import PAUSE_SECONDS

router = APIRouter()

TTS_ROUTE = "/v1/tts"
ERROR_PREFIXES = ("/v1/tts", "/v1/references", "/v1/health")  # fish_error's routes
MSGPACK_TYPES = ("application/msgpack", "application/x-msgpack")
JSON_TYPES = ("application/json", "")  # a body without a type is read as JSON
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
SAMPLING_FIELDS = ("temperature", "top_p", "repetition_penalty", "seed")


def fish_error(error: ServeError) -> dict:
    """fish-speech's error body: its HTTP errors' fields, and `success` as its reference
    routes answer."""
    return {"statusCode": error.status_code, "error": HTTPStatus(error.status_code).phrase,
            "message": error.message, "success": False}


def _audio_bytes(value: object) -> object:
    """Reference audio: msgpack carries it as bytes, JSON as base64 text."""
    if isinstance(value, str):
        try:
            return base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ValueError("is neither bytes (msgpack) nor base64 text (JSON)") from None
    return value


class InlineReference(BaseModel):
    model_config = ConfigDict(extra="forbid")
    audio: Annotated[bytes, BeforeValidator(_audio_bytes)]
    text: str


class Prosody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    speed: float = Field(1.0, ge=MIN_SPEED, le=MAX_SPEED)
    volume: float = 0.0  # dB


class TTSRequest(BaseModel):
    """fish-speech's `ServeTTSRequest` (its names, ranges and defaults, but sampling
    settings default to the server's), the harmless fields of fish.audio's hosted API,
    and voxtune's `language`."""

    model_config = ConfigDict(extra="forbid")
    text: str
    references: list[InlineReference] = []
    reference_id: str | None = None
    format: Literal["wav", "pcm", "mp3", "opus"] = "wav"
    streaming: bool = False
    chunk_length: int = Field(200, ge=100, le=1000)
    max_new_tokens: int = Field(1024, ge=0)
    top_p: float | None = Field(None, ge=0.1, le=1.0)
    temperature: float | None = Field(None, ge=0.1, le=1.0)
    repetition_penalty: float | None = Field(None, ge=0.9, le=2.0)
    seed: int | None = Field(None, ge=0, lt=2**32)
    normalize: bool = True
    latency: Literal["normal", "balanced", "low"] = "normal"
    use_memory_cache: Literal["on", "off"] = "off"
    prosody: Prosody | None = None
    sample_rate: int | None = None
    mp3_bitrate: int | None = None
    opus_bitrate: int | None = None
    language: str | None = None


@router.post(TTS_ROUTE)
async def tts(request: Request, server: Server) -> Response:
    started = time.monotonic()
    try:
        body = TTSRequest.model_validate(await _fields(request, form=False))
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False, include_input=False)
                                     ) from None
    check_text(body.text, server.config.limits, "text")
    if body.prosody is not None and body.prosody.volume != 0:
        raise ServeError(400, "prosody.volume: this server does not change loudness; send 0",
                         code="unsupported_value", param="prosody.volume")
    run = await _start(body, server, started)
    encoder = make_encoder(body.format, run.sample_rate, streaming=body.streaming)
    headers = {"Content-Disposition": f"attachment; filename=audio.{body.format}"}
    if body.streaming:
        return StreamingResponse(run.encoded(encoder), media_type=encoder.media_type,
                                 headers=headers)
    return Response(await _whole(run, encoder), media_type=encoder.media_type,
                    headers=headers)


async def _start(body: TTSRequest, server: ServerState, started: float) -> SpeechRun:
    """Speak the request in its voice: the one `reference_id` names, else its inline
    references, else `default`."""
    if body.reference_id is not None:
        try:
            voice = server.registry.resolve(body.reference_id)
        except ServeError as exc:
            raise ServeError(exc.status_code, f"reference_id: {exc.message}", code=exc.code,
                             param="reference_id") from None
        return await _speak(body, server, voice, started)
    if not body.references:
        return await _speak(body, server, server.registry.resolve(DEFAULT), started)
    if not server.registry.models:
        raise ServeError(404, "this server has no TTS model to speak with",
                         code="model_not_found")
    with tempfile.TemporaryDirectory(prefix="voxtune-reference-") as scratch:
        reference = await run_in_threadpool(_inline_reference, body.references,
                                            server.config.limits, Path(scratch))
        voice = Voice("references", server.registry.models[0], reference=reference)
        # The worker reads the clip to build the prompt before the first audio, so the
        # folder can go once the run has started (or failed).
        return await _speak(body, server, voice, started)


async def _speak(body: TTSRequest, server: ServerState, voice: Voice,
                 started: float) -> SpeechRun:
    rate = voice.model.synthesizer.sample_rate
    if body.sample_rate not in (None, rate):
        raise ServeError(400, f"sample_rate {body.sample_rate}: this voice speaks at {rate} Hz "
                         "only; leave sample_rate out", code="unsupported_value",
                         param="sample_rate")
    job = SpeechJob(body.text, voice, body.language or server.config.language,
                    _sampling(body, server.config.sampling),
                    speed=body.prosody.speed if body.prosody else 1.0,
                    split=server.config.split, route=TTS_ROUTE)
    return await server.synthesis.start(job, started)


def _sampling(body: TTSRequest, default: SamplingConfig) -> SamplingConfig:
    """The server's sampling with the request's settings; `max_new_tokens` may lower the
    server's frame cap, never raise it."""
    cap = min(body.max_new_tokens or default.max_frames, default.max_frames)
    chosen = {name: getattr(body, name) for name in SAMPLING_FIELDS
              if getattr(body, name) is not None}
    return replace(default, max_frames=cap, **chosen)


def _inline_reference(references: list[InlineReference], limits: LimitsConfig,
                      folder: Path) -> Reference:
    """The inline clips, decoded as uploads are and joined in order with voxtune's pause
    between sentences, as one clip in `folder`; their transcripts joined likewise."""
    texts, clips = [], []
    for number, inline in enumerate(references):
        texts.append(check_transcript(inline.text, f"references[{number}].text"))
        clips.append(decode_upload(inline.audio, "", limits, f"references[{number}].audio"))
    rate = clips[0][1]
    pause = np.zeros(int(PAUSE_SECONDS * rate), dtype=np.float32)
    parts = [part for samples, clip_rate in clips
             for part in (pause, resample(samples, clip_rate, rate))]
    audio = np.concatenate(parts[1:])
    if len(audio) / rate > limits.max_upload_seconds:
        raise ServeError(413, f"references hold {len(audio) / rate:.0f} s of audio in all; "
                         f"this server takes at most {limits.max_upload_seconds:g} s "
                         "(--max-upload-seconds): send less", code="audio_too_long",
                         param="references")
    write_audio(folder / "reference.wav", audio, rate)
    return Reference(folder / "reference.wav", " ".join(texts))


async def _whole(run: SpeechRun, encoder: Encoder) -> bytes:
    """The run's audio as one file; a failure is raised, to be answered as a JSON error."""
    parts = [encoder.encode(chunk) async for chunk in run]
    return b"".join(parts) + encoder.finish()


@dataclass(frozen=True)
class _Upload:
    data: bytes
    filename: str


async def _fields(request: Request, form: bool) -> dict:
    """The body's fields: msgpack (fish-speech's clients), JSON, or (`form`) multipart; a
    body that does not parse is a 400 that says which kind it is not."""
    kind = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if form and kind in FORM_TYPES:
        async with request.form(max_files=1) as parsed:
            return {name: _Upload(await value.read(), value.filename or "")
                    if isinstance(value, UploadFile) else value
                    for name, value in parsed.items()}
    if kind not in MSGPACK_TYPES + JSON_TYPES:
        kinds = "application/msgpack or application/json" + (" or multipart/form-data"
                                                              if form else "")
        raise ServeError(415, f"Content-Type {kind!r} is not read here; send {kinds}",
                         code="unsupported_media_type")
    body = await request.body()
    if not body.strip():  # no fields: the 400 then names the first one required
        fields = {}
    else:
        fields = _unpacked(body) if kind in MSGPACK_TYPES else _json(body)
    if not isinstance(fields, dict):
        raise ServeError(400, f"the request body is a {type(fields).__name__}, not a map of "
                         "fields", code="invalid_value")
    return fields


def _unpacked(body: bytes) -> object:
    try:
        return msgpack.unpackb(body, raw=False)
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        reason = str(exc) or type(exc).__name__  # StackError says nothing: too deep
        raise ServeError(400, f"the request body is not valid msgpack ({reason}); send the "
                         "fields as one map, packed as fish-speech's clients pack them",
                         code="invalid_msgpack") from None


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise ServeError(400, f"the request body is not valid JSON ({exc})",
                         code="invalid_json") from None


def _upload(fields: dict, name: str) -> _Upload:
    """A file field: a multipart file, msgpack bytes or JSON base64."""
    value = fields.get(name)
    if isinstance(value, _Upload):
        return value
    try:
        value = _audio_bytes(value)
    except ValueError as exc:
        raise ServeError(400, f"{name} {exc}", code="invalid_value", param=name) from None
    if not isinstance(value, bytes):
        raise ServeError(400, f"{name} is required: the reference clip, as a multipart file "
                         "(or bytes in msgpack, base64 in JSON)", code="invalid_value",
                         param=name)
    return _Upload(value, "")


def _reply(request: Request, payload: dict) -> Response:
    """`payload` in msgpack, or in JSON when the client asks for it, as fish-speech
    answers its reference routes."""
    asked = request.query_params.get("format", "").strip().lower()
    if asked in ("json", "application/json", "msgpack", "application/msgpack"):
        wants_json = asked in ("json", "application/json")
    else:
        accept = request.headers.get("accept", "").lower()
        wants_json = "application/json" in accept and "application/msgpack" not in accept
    if wants_json:
        return JSONResponse(payload)
    return Response(msgpack.packb(payload), media_type=MSGPACK_TYPES[0])


@router.post("/v1/references/add")
async def references_add(request: Request, server: Server) -> Response:
    voices_folder(server.registry)  # before reading the body: no folder, nothing to add
    fields = await _fields(request, form=True)
    ref_id = check_reference_id(fields.get("id"), "id")
    text = check_transcript(fields.get("text"), "text")
    upload = _upload(fields, "audio")
    samples, rate = await run_in_threadpool(decode_upload, upload.data, upload.filename,
                                            server.config.limits, "audio")
    await run_in_threadpool(add_reference, server.registry, ref_id, samples, rate, text)
    return _reply(request, {"success": True, "reference_id": ref_id,
                            "message": f"Reference voice {ref_id!r} added successfully"})


@router.get("/v1/references/list")
async def references_list(request: Request, server: Server) -> Response:
    ids = await run_in_threadpool(server.registry.reference_ids)
    return _reply(request, {"success": True, "reference_ids": ids,
                            "message": f"Found {len(ids)} reference voices"})


@router.delete("/v1/references/delete")
async def references_delete(request: Request, server: Server) -> Response:
    voices_folder(server.registry)
    fields = await _fields(request, form=True)
    ref_id = check_reference_id(fields.get("reference_id"), "reference_id")
    await run_in_threadpool(delete_reference, server.registry, ref_id)
    return _reply(request, {"success": True, "reference_id": ref_id,
                            "message": f"Reference voice {ref_id!r} deleted successfully"})


@router.post("/v1/references/update")
async def references_update(request: Request, server: Server) -> Response:
    voices_folder(server.registry)
    fields = await _fields(request, form=True)
    old = check_reference_id(fields.get("old_reference_id"), "old_reference_id")
    new = check_reference_id(fields.get("new_reference_id"), "new_reference_id")
    await run_in_threadpool(rename_reference, server.registry, old, new)
    return _reply(request, {"success": True, "old_reference_id": old,
                            "new_reference_id": new,
                            "message": f"Reference voice renamed from {old!r} to {new!r}"})


@router.api_route("/v1/health", methods=["GET", "POST"])
async def health() -> dict:
    return {"status": "ok"}
