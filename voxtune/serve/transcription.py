"""The transcription service: uploaded audio to a timed transcript.

The recognizer is the one `voxtune prepare` labels clips with, loaded through
`voxtune.labeling` (the packaged Whisper-base through faster-whisper by default, or a
voxtune ASR model, or any backend that module can load). Decoding and recognition run on
one worker thread, within the request's time limit; a recognizer cannot be stopped
mid-clip, so a request past its limit gets its 504 while the clip (bounded by
`max_upload_seconds`) finishes in the background.
"""

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from voxtune.errors import VoxtuneError
from voxtune.labeling import AsrConfig, Segment, TranscribeOptions, Transcript, load_transcriber
from voxtune.serve.config import LimitsConfig
from voxtune.serve.errors import ServeError
from voxtune.serve.limits import Admission
from voxtune.serve.metrics import Metrics
from voxtune.serve.uploads import decode_upload


@dataclass
class Heard:
    """A transcript, with its segments (one spanning the clip where the backend gives
    none) and the clip's duration in seconds."""

    transcript: Transcript
    segments: tuple[Segment, ...]
    seconds: float


class TranscriptionService:
    """Transcribes uploads with one recognizer, one at a time."""

    def __init__(self, asr: AsrConfig, limits: LimitsConfig, admission: Admission,
                 metrics: Metrics):
        self.transcriber = load_transcriber(asr)
        self.limits, self.admission, self.metrics = limits, admission, metrics
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="voxtune-asr")

    @property
    def name(self) -> str | None:
        """The recognizer's name (`whisper:whisper-base-ct2`), None when there is none."""
        return self.transcriber.name if self.transcriber is not None else None

    async def transcribe(self, data: bytes, filename: str, language: str,
                         options: TranscribeOptions, started: float) -> Heard:
        """`language` is ISO 639-1 or "auto"; `started` (time.monotonic) starts the clock."""
        if self.transcriber is None:
            raise ServeError(404, "this server transcribes nothing: it was started with "
                             "asr.backend=none", code="model_not_found", param="model")
        ticket = self.admission.enter()
        self.metrics.queue_depth.labels("transcription").inc()
        loop = asyncio.get_running_loop()
        work = loop.run_in_executor(self.executor, self._work, data, filename, language,
                                    options)

        def finished(future: asyncio.Future) -> None:
            """The place is free once the worker is done with the clip, as for speech; an
            error after the request's 504 is retrieved here and dropped."""
            ticket.release()
            if not future.cancelled():
                future.exception()

        work.add_done_callback(finished)
        left = started + self.limits.request_seconds - time.monotonic()
        try:
            return await asyncio.wait_for(asyncio.shield(work), timeout=max(left, 0.0))
        except TimeoutError:
            raise ServeError(504, "transcription ran past this server's time limit "
                             "(--request-seconds); send a shorter clip",
                             code="timeout") from None

    def _work(self, data: bytes, filename: str, language: str,
              options: TranscribeOptions) -> Heard:
        self.metrics.queue_depth.labels("transcription").dec()
        samples, rate = decode_upload(data, filename, self.limits)
        seconds = len(samples) / rate
        try:
            transcript = self.transcriber.transcribe(samples, rate, language, options)
        except VoxtuneError as exc:  # e.g. a language the recognizer does not know
            raise ServeError(400, str(exc), code="invalid_value", param="language") from None
        self.metrics.audio_in.inc(seconds)
        segments = transcript.segments or (Segment(0.0, seconds, transcript.text),)
        return Heard(transcript, segments, seconds)

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
