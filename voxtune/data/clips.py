"""One source utterance → prepared clips: the per-file work of `voxtune prepare`.

Runs in worker processes, so it takes everything it needs as arguments and returns plain
records; all writes are atomic, so a killed worker leaves no half-written clip.
"""

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from voxtune.audio.denoise import reduce_noise
from voxtune.audio.io import read_audio, resample, write_audio
from voxtune.audio.loudness import integrated_loudness, normalize_loudness
from voxtune.audio.quality import clipping_ratio, measure
from voxtune.audio.slicer import level_for_slicing, slice_silence, split_long
from voxtune.audio.vad import speech_span
from voxtune.data.gate import check_signal, check_text
from voxtune.data.manifest import Clip, Reject, Utterance
from voxtune.data.prepare_config import PrepareConfig
from voxtune.errors import ClipRejected, VoxtuneError
from voxtune.files import write_text
from voxtune.labeling import Transcriber


@dataclass
class SourceResult:
    clips: list[Clip] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)


def prepare_source(utterance: Utterance, clip_name: str, out: Path, config: PrepareConfig,
                   transcriber: Transcriber | None, may_transcribe: bool) -> SourceResult:
    """Decode, cut, clean, label, gate, normalise and write the clips of one utterance.

    `clip_name` is "SPEAKER/stem" (already made safe and unique); sliced pieces get
    "_0000", "_0001"… appended. Unlabelled audio is sliced; labelled audio stays whole,
    since its label covers the whole file. `may_transcribe` is false for audio whose
    label is missing from a labelled layout: it is set aside rather than guessed.
    """
    result = SourceResult()
    if utterance.text is None and not may_transcribe:
        result.rejects.append(_reject(utterance, ClipRejected(
            "no_label", f"{utterance.audio}: no .lab/.txt label beside the audio; add one, "
            "or set asr.label_missing=true to transcribe it")))
        return result
    try:
        audio, rate = read_audio(utterance.audio, config.audio.max_channels,
                                 utterance.start, utterance.end)
    except ClipRejected as exc:
        result.rejects.append(_reject(utterance, exc))
        return result
    offset = utterance.start or 0.0
    # Flat tops are only visible at the source rate: resampling rings over them.
    source_mono, source_rate = audio.mean(axis=0), rate
    if config.audio.mono:
        audio = audio.mean(axis=0, keepdims=True)
    if config.audio.resample:
        audio, rate = resample(audio, rate, config.audio.sample_rate), config.audio.sample_rate
    spans = _spans(audio.mean(axis=0), rate, config, labelled=utterance.text is not None)
    for index, (start, end) in enumerate(spans):
        name = clip_name if len(spans) == 1 else f"{clip_name}_{index:04d}"
        span = (offset + start / rate, offset + end / rate)
        scale = source_rate / rate
        clipped = clipping_ratio(source_mono[int(start * scale):int(end * scale)])
        try:
            result.clips.append(_prepare_clip(utterance, name, audio[:, start:end], rate, span,
                                              clipped, out, config, transcriber))
        except ClipRejected as exc:
            result.rejects.append(_reject(utterance, exc, name, span))
    return result


def _spans(mono: np.ndarray, rate: int, config: PrepareConfig,
           labelled: bool) -> list[tuple[int, int]]:
    if labelled or not config.slicer.enabled:
        return [(0, mono.shape[0])]
    hop = round(rate * config.slicer.hop_size / 1000)
    spans = []
    for span in slice_silence(level_for_slicing(mono, rate, config.slicer), rate, config.slicer):
        spans += split_long(mono, rate, span, config.slicer.max_duration,
                            config.gate.min_duration, hop)
    return spans


def _prepare_clip(utterance: Utterance, name: str, audio: np.ndarray, rate: int,
                  span: tuple[float, float], clipped: float, out: Path, config: PrepareConfig,
                  transcriber: Transcriber | None) -> Clip:
    if config.vad.enabled:
        voiced = speech_span(audio.mean(axis=0), rate, config.vad)
        if voiced is None:
            raise ClipRejected("no_speech", "voice activity detection found no speech")
        audio = audio[:, voiced[0]:voiced[1]]
        span = (span[0] + voiced[0] / rate, span[0] + voiced[1] / rate)
    if config.denoise.enabled:
        audio = np.stack([reduce_noise(channel, rate, config.denoise) for channel in audio])
    mono = audio.mean(axis=0)
    duration = mono.shape[0] / rate
    stats = dataclasses.replace(measure(mono, rate), clipping_ratio=clipped)
    mono_loudness = integrated_loudness(mono, rate)
    check_signal(duration, stats, mono_loudness, config.gate)
    text, text_source, language = utterance.text, "label", utterance.language
    if text is None and transcriber is None:
        if config.gate.require_text:
            raise ClipRejected("no_label", "unlabelled audio and ASR is off; set "
                               "asr.backend=whisper, or gate.require_text=false to keep "
                               "audio-only clips")
        text, text_source = "", "none"
    elif text is None:
        try:
            heard = transcriber.transcribe(mono, rate, utterance.language)
        except VoxtuneError as exc:
            raise ClipRejected("asr_failed", f"transcription failed: {exc}") from exc
        text, language, text_source = heard.text, heard.language, f"asr:{transcriber.name}"
    text = " ".join(text.split())
    if text or config.gate.require_text:
        check_text(text, duration, config.gate)
    loudness = mono_loudness
    if config.loudness.enabled:
        # One channel is its own mono mix, so the gate's measurement serves here too.
        known = mono_loudness if audio.shape[0] == 1 else None
        audio, loudness = normalize_loudness(audio.T, rate, config.loudness, known)
        audio = audio.T
    relative = f"{name}.{config.audio.format}"
    write_audio(out / relative, audio, rate)
    write_text(out / f"{name}.lab", text)
    return Clip(id=name, audio=relative, speaker=utterance.speaker, language=language,
                text=text, duration=round(duration, 4), sample_rate=rate,
                loudness_lufs=None if loudness is None else round(loudness, 2),
                snr_db=round(stats.snr_db, 1), source=str(utterance.audio),
                source_start=round(span[0], 4), source_end=round(span[1], 4),
                text_source=text_source, clipping_ratio=round(stats.clipping_ratio, 5),
                silence_ratio=round(stats.silence_ratio, 3),
                low_quality=bool(utterance.extra.get("low_quality", False)))


def _reject(utterance: Utterance, exc: ClipRejected, name: str | None = None,
            span: tuple[float, float] | None = None) -> Reject:
    return Reject(source=str(utterance.audio), reason=exc.reason, message=str(exc),
                  id=name or utterance.id,
                  source_start=None if span is None else round(span[0], 4),
                  source_end=None if span is None else round(span[1], 4))
