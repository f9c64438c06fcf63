"""GPT-SoVITS's HTTP API (its `api_v2.py`): `GET`/`POST /tts`, `GET /set_refer_audio`,
`GET /set_gpt_weights`, `GET /set_sovits_weights`, so that GPT-SoVITS's clients and front
ends work with voxtune's voices.

`/tts` takes api_v2's fields, in the query (GET) or a JSON body (POST):

- `text`, `text_lang` (required). `ref_audio_path` is a voxtune voice name
  (`voxtune.serve.voices`: a speaker, a reference id, or a clip's path inside `--voices`
  with its `.lab`); it may be left out once `/set_refer_audio` chose a voice, never
  otherwise. `prompt_text`, when given, replaces the clip's `.lab` transcript (a learned
  speaker needs none and ignores it). `prompt_lang` (default: `text_lang`) must be the
  text's language: the transcript goes through the text's frontend.
- Languages are `en`, `zh` (`all_zh` too) and `es`, in any spelling voxtune knows;
  GPT-SoVITS's `ja`, `ko`, `yue` and `auto` are refused.
- `top_k`, `top_p`, `temperature`, `repetition_penalty`, `seed` (-1: a fresh random seed)
  are the server's sampling settings where left out, which suit voxtune's models
  (api_v2's defaults suit GPT-SoVITS's).
- `text_split_method` cut0–cut5, with GPT-SoVITS's meanings (`voxtune.text.split`; cut2
  packs up to 50 characters in Chinese, 120 in English and Spanish); `speed_factor` 0.5–2.
- `media_type`: `wav`, `raw` (16-bit mono PCM at the model's rate), `ogg` (Opus in Ogg,
  48 kHz), `aac` (ADTS); the Content-Type is `audio/<media_type>`, as api_v2 sends.
- `streaming_mode` 0 (or false) sends the whole file once spoken (a wav with exact sizes);
  1, 2, 3 (or true) send audio as the codec decodes it (a wav with a header for unknown
  length). VoxCodec's chunks join exactly, so the three streaming modes are one: there is
  no quality to trade for speed.
- Accepted and ignored, being knobs of GPT-SoVITS's own pipeline rather than of what is
  said: `batch_size`, `batch_threshold`, `split_bucket`, `parallel_infer` (the server's
  `batch_size` setting applies), `fragment_interval` (pieces are joined with voxtune's
  0.25 s pause), `overlap_length`, `min_chunk_length`, `return_fragment` (chunks are the
  codec's), `sample_steps` (there is no diffusion stage). Refused: `aux_ref_audio_paths`
  (voices are not blended), `super_sampling` true, and fields api_v2 does not have.

`/set_refer_audio?refer_audio_path=NAME` sets the voice of requests that name none.
`/set_gpt_weights?weights_path=` and `/set_sovits_weights?weights_path=` select the model
that speaks later requests among those loaded at start: by its name, or by its merged
voice folder inside `--voices` (or a `.safetensors` file in it). A voice folder holds both
of GPT-SoVITS's halves, the LM and the codec, so either route selects the whole model. No
request loads weights, and pickles (`.ckpt`, `.pth`) are refused unopened. There is no
`/control`: restarting and stopping the server are its operator's, not a client's.

The current voice and model are server-wide, as in GPT-SoVITS. A setting replaces them
whole and a `/tts` request reads them once as it starts, so a change never reaches a
request under way. Errors are api_v2's JSON, `{"message": ..., "Exception": <kind>}`, with
statuses that say what failed (404 unknown voice or model, 413, 429, 504).
"""

import dataclasses
import secrets
import time
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from voxtune.audio.tempo import MAX_SPEED, MIN_SPEED
from voxtune.errors import InputError
from voxtune.serve.encoders import make_encoder
from voxtune.serve.errors import ServeError
from voxtune.serve.limits import check_text
from voxtune.serve.state import Server, ServerState
from voxtune.serve.synthesis import SpeechJob
from voxtune.serve.voices import LoadedModel, Reference, Voice
from voxtune.text import canonical_language
from voxtune.text.split import GPT_SOVITS_NAMES
from voxtune.tts.generate import SamplingConfig

router = APIRouter()

TTS_ROUTE = "/tts"
PREFIXES = (TTS_ROUTE, "/set_")  # the routes that answer errors in api_v2's shape
ENCODERS = {"wav": "wav", "raw": "pcm", "ogg": "opus", "aac": "aac"}  # media_type → format
SAMPLING_FIELDS = {"top_k", "top_p", "temperature", "repetition_penalty", "seed"}
RANDOM_SEED = -1
SUCCESS = {"message": "success"}


class TTSRequest(BaseModel):
    """`/tts`'s fields, api_v2's names; unknown fields are refused (a typo would otherwise
    be ignored silently)."""

    model_config = ConfigDict(extra="forbid")
    text: str
    text_lang: str
    ref_audio_path: str | None = None
    aux_ref_audio_paths: list[str] | None = None
    prompt_text: str = ""
    prompt_lang: str | None = None
    top_k: int | None = Field(None, ge=0)
    top_p: float | None = Field(None, gt=0, le=1)
    temperature: float | None = Field(None, ge=0)
    repetition_penalty: float | None = Field(None, gt=0)
    seed: int | None = Field(None, ge=RANDOM_SEED, lt=2**63)
    text_split_method: str = "cut5"
    speed_factor: float = Field(1.0, ge=MIN_SPEED, le=MAX_SPEED)
    media_type: Literal["wav", "raw", "ogg", "aac"] = "wav"
    streaming_mode: bool | int = False
    super_sampling: bool = False
    # Knobs of GPT-SoVITS's pipeline, accepted and ignored (see the module docstring).
    batch_size: int = Field(1, ge=1)
    batch_threshold: float = 0.75
    split_bucket: bool = True
    parallel_infer: bool = True
    fragment_interval: float = Field(0.3, ge=0)
    overlap_length: int = 2
    min_chunk_length: int = 16
    return_fragment: bool = False
    sample_steps: int = 32


@dataclasses.dataclass(frozen=True)
class Current:
    """What `/set_refer_audio` and `/set_*_weights` chose; replaced whole, never changed in
    place, so a request that read it keeps what it read."""

    voice: str | None = None
    model: LoadedModel | None = None


def api_v2_error(error: ServeError) -> dict:
    """api_v2's error body: `message` for people, `Exception` the kind of failure."""
    return {"message": error.message, "Exception": error.code or "error"}


def split_method(name: str) -> str:
    """voxtune's splitter for GPT-SoVITS's `text_split_method` (cut0–cut5, its names only,
    as api_v2 accepts)."""
    if name not in GPT_SOVITS_NAMES:
        raise ServeError(400, f"text_split_method {name!r} is not one of "
                         f"{', '.join(GPT_SOVITS_NAMES)}", code="invalid_value",
                         param="text_split_method")
    return GPT_SOVITS_NAMES[name]


def streams(mode: bool | int) -> bool:
    """Whether api_v2's `streaming_mode` sends audio as it is decoded (1–3, true) or whole
    (0, false)."""
    if int(mode) not in (0, 1, 2, 3):
        raise ServeError(400, f"streaming_mode {mode!r} is not 0, 1, 2, 3, true or false",
                         code="invalid_value", param="streaming_mode")
    return bool(mode)


def language(value: str, field: str) -> str:
    """"en", "es" or "zh" for a GPT-SoVITS language code (`all_zh`: Chinese alone) or any
    spelling voxtune knows."""
    try:
        return canonical_language(value.strip().lower().removeprefix("all_"))
    except InputError:
        raise ServeError(400, f"{field} {value!r} is not a language this server speaks; use "
                         "en, zh (all_zh) or es", code="unsupported_value",
                         param=field) from None


def current(request: Request) -> Current:
    """The server's current choices (none until a `/set_*` route made one)."""
    return getattr(request.app.state, "gpt_sovits", Current())


@router.get(TTS_ROUTE)
async def tts_get(request: Request, server: Server) -> Response:
    query = {key: request.query_params.getlist(key) if key == "aux_ref_audio_paths" else value
             for key, value in request.query_params.items()}
    try:
        body = TTSRequest.model_validate(query)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None
    return await _tts(body, current(request), server)


@router.post(TTS_ROUTE)
async def tts_post(body: TTSRequest, request: Request, server: Server) -> Response:
    return await _tts(body, current(request), server)


async def _tts(body: TTSRequest, chosen: Current, server: ServerState) -> Response:
    started = time.monotonic()
    check_text(body.text, server.config.limits, "text")
    if body.aux_ref_audio_paths:
        raise ServeError(400, "aux_ref_audio_paths: this server does not blend voices; leave "
                         "it out and name one voice in ref_audio_path",
                         code="unsupported_value", param="aux_ref_audio_paths")
    if body.super_sampling:
        raise ServeError(400, "super_sampling: this server has no super-sampling stage; "
                         "leave it false", code="unsupported_value", param="super_sampling")
    streaming = streams(body.streaming_mode)
    text_lang = language(body.text_lang, "text_lang")
    prompt_lang = language(body.prompt_lang, "prompt_lang") if body.prompt_lang else text_lang
    voice = _voice(body, chosen, server, text_lang, prompt_lang)
    job = SpeechJob(body.text, voice, text_lang, _sampling(body, server.config.sampling),
                    speed=body.speed_factor, split=split_method(body.text_split_method),
                    route=TTS_ROUTE)
    encoder = make_encoder(ENCODERS[body.media_type], voice.model.synthesizer.sample_rate,
                           streaming=streaming)
    run = await server.synthesis.start(job, started)
    media_type = f"audio/{body.media_type}"
    if streaming:
        return StreamingResponse(run.encoded(encoder), media_type=media_type)
    parts = [encoder.encode(chunk) async for chunk in run]  # a failure here is still JSON
    return Response(b"".join(parts) + encoder.finish(), media_type=media_type)


def _voice(body: TTSRequest, chosen: Current, server: ServerState, text_lang: str,
           prompt_lang: str) -> Voice:
    """The request's voice, or the one `/set_refer_audio` chose; never the default."""
    name = body.ref_audio_path or chosen.voice
    if not name:
        raise ServeError(400, "ref_audio_path is required: a voice name or a clip's path "
                         "inside the voices folder (or choose one with /set_refer_audio)",
                         code="invalid_value", param="ref_audio_path")
    voice = _resolved(server, name, chosen.model, "ref_audio_path")
    if voice.reference is None:
        return voice
    if prompt_lang != text_lang:
        raise ServeError(400, f"prompt_lang {body.prompt_lang!r} is not text_lang "
                         f"{body.text_lang!r}: this server reads the reference's transcript "
                         "in the text's language; choose a reference clip in that language",
                         code="unsupported_value", param="prompt_lang")
    if not body.prompt_text.strip():
        return voice
    check_text(body.prompt_text, server.config.limits, "prompt_text")
    return dataclasses.replace(voice, reference=Reference(voice.reference.audio,
                                                          body.prompt_text.strip()))


def _sampling(body: TTSRequest, defaults: SamplingConfig) -> SamplingConfig:
    """The server's sampling settings, with those the request gave."""
    given = body.model_dump(include=SAMPLING_FIELDS, exclude_none=True)
    if given.get("seed") == RANDOM_SEED:
        given["seed"] = secrets.randbelow(2**31)
    return dataclasses.replace(defaults, **given)


def _resolved(server: ServerState, name: str, model: LoadedModel | None, field: str) -> Voice:
    try:
        return server.registry.resolve(name, model)
    except ServeError as exc:
        raise _naming(exc, field) from None


def _naming(error: ServeError, field: str) -> ServeError:
    """`error` (the voice registry's) with this dialect's field in its message."""
    return ServeError(error.status_code, f"{field}: {error.message}", error.code, field,
                      error.headers)


@router.get("/set_refer_audio")
async def set_refer_audio(request: Request, server: Server,
                          refer_audio_path: str = "") -> dict:
    """Set the voice of `/tts` requests that name none; an unknown voice changes nothing."""
    if not refer_audio_path:
        raise ServeError(400, "refer_audio_path is required: a voice name or a clip's path "
                         "inside the voices folder", code="invalid_value",
                         param="refer_audio_path")
    chosen = current(request)
    _resolved(server, refer_audio_path, chosen.model, "refer_audio_path")
    request.app.state.gpt_sovits = dataclasses.replace(chosen, voice=refer_audio_path)
    return SUCCESS


@router.get("/set_gpt_weights")
async def set_gpt_weights(request: Request, server: Server, weights_path: str = "") -> dict:
    return _select_model(request, server, weights_path)


@router.get("/set_sovits_weights")
async def set_sovits_weights(request: Request, server: Server, weights_path: str = "") -> dict:
    return _select_model(request, server, weights_path)


def _select_model(request: Request, server: ServerState, weights_path: str) -> dict:
    """Make the loaded model named by `weights_path` speak later requests (see the module
    docstring); nothing is loaded or opened."""
    if not weights_path:
        raise ServeError(400, "weights_path is required: a loaded model's name or its voice "
                         "folder inside the voices folder", code="invalid_value",
                         param="weights_path")
    try:
        model = server.registry.model(weights_path) or server.registry.model_at(weights_path)
    except ServeError as exc:
        raise _naming(exc, "weights_path") from None
    request.app.state.gpt_sovits = dataclasses.replace(current(request), model=model)
    return SUCCESS
