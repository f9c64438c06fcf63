"""The synthesis service: what every dialect calls to speak a text in a voice.

A route turns its request into a `SpeechJob` and awaits `SynthesisService.start`, which
admits it (429 past the concurrency limit), hands it to a worker thread and returns once
the first audio is ready or the job has failed, so that a bad voice, text or setting is
still an ordinary JSON error. The `SpeechRun` it returns yields float32 chunks as the
worker decodes them (`Synthesizer.stream`, the same code `voxtune synthesize` runs), until
the end, the request's time limit, or the client leaving, which stops the worker at its
next chunk.

Workers run one job each (`workers`, 1 by default on a CPU); later jobs wait in the queue.
A request's place (see `limits.Admission`) is freed when the worker lets go of its job, so
a job whose client left, or that timed out in the queue, holds it until the worker has
stopped or skipped it: the places count the work the server really has.
"""

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from voxtune.errors import InputError, VoxtuneError
from voxtune.serve.config import ServeConfig
from voxtune.serve.encoders import Encoder
from voxtune.serve.errors import ServeError
from voxtune.serve.limits import Admission, Ticket
from voxtune.serve.metrics import Metrics
from voxtune.serve.voices import Voice
from voxtune.tts.generate import SamplingConfig

log = logging.getLogger(__name__)

_END = object()


@dataclass
class SpeechJob:
    """One text to speak: the voice (resolved), the language, the speaking rate, the
    sampling settings; `route` labels its metrics."""

    text: str
    voice: Voice
    language: str
    sampling: SamplingConfig
    speed: float = 1.0
    split: str = "length"
    route: str = "speech"


class SpeechRun:
    """A job in the hands of a worker; async iteration yields its audio chunks.

    `frames` is the codec frames spoken once the run has ended. `close` stops the worker at
    its next chunk; iteration's end calls it."""

    def __init__(self, job: SpeechJob, ticket: Ticket, deadline: float, started: float,
                 metrics: Metrics):
        self.job, self.ticket, self.deadline, self.started = job, ticket, deadline, started
        self.metrics = metrics
        self.sample_rate = job.voice.model.synthesizer.sample_rate
        self.frames = 0
        self.cancelled = threading.Event()
        self.loop = asyncio.get_running_loop()
        self.queue: asyncio.Queue = asyncio.Queue()
        self.first: np.ndarray | None = None
        self.ended = False

    def put(self, item: object) -> None:
        """From the worker thread: a chunk, an exception, or the end."""
        self.loop.call_soon_threadsafe(self.queue.put_nowait, item)

    def let_go(self) -> None:
        """From the worker thread, when it is done with the job: free the request's place."""
        self.loop.call_soon_threadsafe(self.ticket.release)

    async def next_chunk(self) -> np.ndarray | None:
        """The next chunk, or None at the end; `ServeError` 504 past the time limit."""
        if self.ended:
            return None
        left = self.deadline - time.monotonic()
        try:
            item = await asyncio.wait_for(self.queue.get(), timeout=max(left, 0.0))
        except TimeoutError:
            self.close()
            raise ServeError(504, "the request ran past this server's time limit "
                             "(--request-seconds); send shorter text",
                             code="timeout") from None
        if item is _END:
            self.ended = True
            return None
        if isinstance(item, BaseException):
            raise item
        self.metrics.audio_out.inc(len(item) / self.sample_rate)
        return item

    async def wait_first(self) -> None:
        """Wait for the first chunk (kept for iteration), or raise the job's error."""
        self.first = await self.next_chunk()
        self.metrics.first_audio.labels(self.job.route).observe(
            time.monotonic() - self.started)

    async def __aiter__(self):
        try:
            if self.first is not None:
                yield self.first
            while (chunk := await self.next_chunk()) is not None:
                yield chunk
        finally:
            self.close()

    async def encoded(self, encoder: Encoder) -> AsyncIterator[bytes]:
        """The run's audio as `encoder`'s bytes, sent as it is decoded. A failure once the
        response has started can no longer change its status: the encoder's tail still ends
        the file cleanly, and the failure is counted and logged."""
        failure = None
        try:
            async for chunk in self:
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
            self.metrics.stream_failures.labels(self.job.route).inc()
            log.warning("%s: stream ended early: %s", self.job.route, failure.message)

    def close(self) -> None:
        self.cancelled.set()


class SynthesisService:
    """Runs speech jobs on worker threads, within the server's limits."""

    def __init__(self, config: ServeConfig, admission: Admission, metrics: Metrics):
        if config.compile and config.workers > 1:
            raise InputError("compile=true decodes through one static cache per model and "
                             "batch shape, which two workers would share: use workers=1")
        self.config, self.admission, self.metrics = config, admission, metrics
        self.executor = ThreadPoolExecutor(max(1, config.workers),
                                           thread_name_prefix="voxtune-speak")

    async def start(self, job: SpeechJob, started: float) -> SpeechRun:
        """Admit `job` and wait for its first audio; `started` (time.monotonic) is when the
        request arrived, from which its time limit runs."""
        ticket = self.admission.enter()
        run = SpeechRun(job, ticket, started + self.config.limits.request_seconds, started,
                        self.metrics)
        self.metrics.queue_depth.labels("speech").inc()
        self.executor.submit(self._work, run)
        try:
            await run.wait_first()
        except BaseException:
            run.close()
            raise
        return run

    def _work(self, run: SpeechRun) -> None:
        """The worker thread: speak the job into the run's queue, chunk by chunk."""
        self.metrics.queue_depth.labels("speech").dec()
        job, config = run.job, self.config
        try:
            if run.cancelled.is_set() or time.monotonic() > run.deadline:
                return
            reference = job.voice.reference
            speech = job.voice.model.synthesizer.stream(
                job.text, speaker=job.voice.speaker,
                ref_audio=reference.audio if reference else None,
                ref_text=reference.text if reference else None, language=job.language,
                split=job.split, speed=job.speed, sampling=job.sampling,
                batch_size=config.batch_size, compile=config.compile)
            for chunk in speech:
                if run.cancelled.is_set() or time.monotonic() > run.deadline:
                    return
                run.put(chunk)
            run.frames = sum(speech.frames)
            run.put(_END)
        except VoxtuneError as exc:
            run.put(ServeError(400, str(exc), code="invalid_value"))
        except Exception as exc:  # a bug: logged with its traceback, the client gets a 500
            log.exception("speech job failed")
            run.put(ServeError(500, f"synthesis failed ({type(exc).__name__}); the server's "
                               "log says why", code="server_error"))
        finally:
            run.let_go()

    def shutdown(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)
