"""`voxtune serve`'s config: what is served, where, and the limits that keep it safe.

Like every voxtune config it is a dataclass: a YAML file may set any of it and `key=value`
overrides go on top (`limits.max_text_chars=2000 sampling.temperature=0.5`); the command
line's flags set the common keys.
"""

from dataclasses import dataclass, field
from pathlib import Path

from voxtune.asr.checkpoint import is_asr_folder
from voxtune.labeling import AsrConfig
from voxtune.tts.generate import SamplingConfig

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
API_KEY_ENV = "VOXTUNE_API_KEY"


@dataclass
class LimitsConfig:
    """What one request may ask, and how many may run at once.

    `max_text_chars`: text to speak (OpenAI's own cap is 4096). `max_upload_bytes`: any
    request body, uploads included (25 MiB, OpenAI's cap for transcription files).
    `max_upload_seconds`: audio to transcribe. `max_concurrent`: requests being served or
    waiting for a worker; one more gets 429 with `Retry-After: retry_after_s`.
    `request_seconds`: the longest a request may take; a request not done by then gets
    504, and a stream that has started is ended."""

    max_text_chars: int = 4096
    max_upload_bytes: int = 25 * 1024 * 1024
    max_upload_seconds: float = 600.0
    max_concurrent: int = 8
    retry_after_s: int = 1
    request_seconds: float = 300.0


@dataclass
class ServeConfig:
    """`models`: TTS model folders or shipped names (`vox-base`); `voices`: a folder of
    merged voices and reference clips (see `voxtune.serve.voices`); `default_voice`: what
    the voice `default` is (None: the first model's first speaker). `asr`: the recognizer
    behind transcription (by default the packaged Whisper-base through faster-whisper, as
    `prepare` labels clips; `asr.backend=none` serves no transcription; `GET /voices` names
    the one loaded). `api_key` (or the `VOXTUNE_API_KEY` environment variable) is required
    of every request when set, and for any address other than loopback. `workers`:
    synthesis jobs that run at once, the others wait in the queue; `threads`: PyTorch's CPU
    threads (0: its default). `sampling`, `language`, `split`, `batch_size` and `compile`
    are the defaults of every synthesis request, as in `voxtune synthesize`."""

    models: list[str] = field(default_factory=list)
    voices: str | None = None
    default_voice: str | None = None
    asr: AsrConfig = field(default_factory=AsrConfig)
    host: str = "127.0.0.1"
    port: int = 8000
    device: str = "auto"
    api_key: str | None = None
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    workers: int = 1
    threads: int = 0
    sampling: SamplingConfig = field(default_factory=SamplingConfig)
    language: str = "en"
    split: str = "length"
    batch_size: int = 8
    compile: bool = False


def asr_choice(choice: str) -> AsrConfig:
    """`--asr`: `whisper` (the packaged Whisper-base), `pocketsphinx`, `none`, a voxtune ASR
    model folder (`voxtune train asr`), or a faster-whisper model folder. A recognizer
    named outright has no fallback: the server runs it or does not start."""
    if choice in ("whisper", "pocketsphinx", "none"):
        return AsrConfig(backend=choice, fallback="")
    if is_asr_folder(Path(choice)):
        return AsrConfig(backend="voxtune", model=choice, fallback="")
    return AsrConfig(backend="whisper", model=choice, fallback="")
