"""`voxtune pack`: clips with text and codes → protobuf shards, an index and metadata.

Like fish-speech's `build_dataset.py`. Each record is one `SpeakerData` message with up to
`sentences_per_record` sentences of one speaker, so a loader can draw a prompt and a target
of the same voice from one read. Clips whose codes are missing, stale (audio changed since
extraction), of the wrong shape or out of the codebook's range are set aside by name.
Each sentence also carries its phonemes (`voxtune.text.text_to_phonemes`, one entry per
word) for the languages the text frontend knows, as fish-speech's packs carry phones: a
phoneme model then trains without espeak-ng and without phonemizing in its loop.
The packed folder is built beside `out` and moved into place when complete.
"""

import functools
import json
import logging
import shutil
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from voxtune.data.codes_index import CODES_INDEX, clip_key, load_codes_index
from voxtune.data.layouts import read_layout
from voxtune.data.manifest import Reject, Utterance
from voxtune.data.packed import dataset_pb2
from voxtune.data.packed.format import (
    LENGTH_PREFIX,
    METADATA,
    RECORD_DTYPE,
    RECORDS,
    SENTENCE_DTYPE,
    SENTENCES,
    shard_name,
)
from voxtune.errors import ClipRejected, InputError
from voxtune.files import atomic_path, file_fingerprint, write_text
from voxtune.text import text_to_phonemes

log = logging.getLogger(__name__)


@dataclass
class PackSummary:
    out: Path
    records: int = 0
    sentences: int = 0
    shards: int = 0
    hours: float = 0.0
    rejects: list[Reject] = field(default_factory=list)


def pack(data: Path, out: Path, sentences_per_record: int = 32, shard_mb: float = 256.0,
         show_progress: bool = True) -> PackSummary:
    """Pack the extracted dataset at `data` into `out` (see the module docstring)."""
    data, out = Path(data), Path(out)
    index = load_codes_index(data)
    if index is None:
        raise InputError(f"{data}: no {CODES_INDEX}; run voxtune extract on it first")
    codec = index["codec"]
    utterances, rejects = read_layout(data)
    speakers: dict[str, list[dataset_pb2.Sentence]] = defaultdict(list)
    summary = PackSummary(out=out, rejects=rejects)
    for utterance in tqdm(utterances, desc="pack", unit="clip", disable=not show_progress):
        try:
            sentence = _sentence(data, utterance, index)
        except ClipRejected as exc:
            summary.rejects.append(Reject(str(utterance.audio), exc.reason, str(exc),
                                          id=utterance.id))
            continue
        speakers[utterance.speaker].append(sentence)
    if not speakers:
        raise InputError(f"{data}: no clip could be packed ({len(summary.rejects)} set aside; "
                         "see the reasons above)")
    staging = out.with_name(f".{out.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    metadata = _write_shards(staging, speakers, codec, sentences_per_record,
                             int(shard_mb * 2**20), summary)
    write_text(staging / METADATA, json.dumps(metadata, ensure_ascii=False, indent=1))
    _replace(staging, out)
    return summary


def _sentence(data: Path, utterance: Utterance, index: dict) -> dataset_pb2.Sentence:
    codec = index["codec"]
    if not utterance.text:
        raise ClipRejected("no_text", f"{utterance.audio}: no text to pack")
    codes_path = utterance.audio.with_suffix(".npy")
    if not codes_path.is_file():
        raise ClipRejected("missing_codes", f"{codes_path}: missing; run voxtune extract")
    if index["clips"].get(clip_key(data, utterance.audio)) != file_fingerprint(utterance.audio):
        raise ClipRejected("stale_codes", f"{codes_path}: made from other audio (or by another "
                           f"codec than {codec['id']}); run voxtune extract again")
    try:
        codes = np.load(codes_path)
    except (OSError, ValueError) as exc:
        raise ClipRejected("bad_codes", f"{codes_path}: unreadable ({exc})") from exc
    if codes.ndim != 2 or codes.shape[0] != codec["num_codebooks"] or codes.shape[1] == 0:
        raise ClipRejected("bad_codes", f"{codes_path}: shape {codes.shape}, expected "
                           f"[{codec['num_codebooks']}, frames] for codec {codec['id']}")
    if codes.min() < 0 or codes.max() >= codec["codebook_size"]:
        raise ClipRejected("bad_codes", f"{codes_path}: values outside 0..."
                           f"{codec['codebook_size'] - 1} of codec {codec['id']}")
    return dataset_pb2.Sentence(
        id=utterance.id, text=utterance.text, language=utterance.language,
        phonemes=_phoneme_words(utterance.text, utterance.language),
        duration=codes.shape[1] / codec["frame_rate"],
        semantics=[dataset_pb2.Semantics(values=row.tolist()) for row in codes])


def _phoneme_words(text: str, language: str) -> list[str]:
    """The phonemes of `text` split at single spaces (joining them with spaces gives the
    phoneme string back exactly); none for a language the text frontend does not know, or
    where espeak-ng is missing (a phoneme model then phonemizes while it trains)."""
    try:
        return text_to_phonemes(text, language or "en").split(" ")
    except InputError:
        return []
    except (ImportError, RuntimeError) as exc:
        _warn_no_g2p(str(exc))
        return []


@functools.cache
def _warn_no_g2p(reason: str) -> None:
    log.warning("packing without phonemes: %s (install espeak-ng to store them)", reason)


def _write_shards(folder: Path, speakers: dict[str, list[dataset_pb2.Sentence]], codec: dict,
                  per_record: int, shard_bytes: int, summary: PackSummary) -> dict:
    records, sentences, shard_sizes = [], [], []
    handle, shard, offset = None, -1, 0
    names = sorted(speakers)
    for speaker_number, speaker in enumerate(names):
        items = speakers[speaker]
        for first in range(0, len(items), per_record):
            chunk = items[first:first + per_record]
            payload = dataset_pb2.SpeakerData(speaker=speaker, sentences=chunk)
            blob = payload.SerializeToString()
            size = LENGTH_PREFIX.size + len(blob)
            if handle is None or (offset and offset + size > shard_bytes):
                if handle is not None:
                    handle.close()
                    shard_sizes.append(offset)
                shard, offset = shard + 1, 0
                handle = open(folder / shard_name(shard), "wb")
            handle.write(LENGTH_PREFIX.pack(len(blob)) + blob)
            frames = [len(s.semantics[0].values) for s in chunk]
            record = len(records)
            records.append((shard, offset + LENGTH_PREFIX.size, len(blob), speaker_number,
                            len(chunk), sum(frames)))
            sentences += [(record, position, count) for position, count in enumerate(frames)]
            offset += size
    handle.close()
    shard_sizes.append(offset)
    for name, rows, dtype in ((RECORDS, records, RECORD_DTYPE),
                              (SENTENCES, sentences, SENTENCE_DTYPE)):
        with atomic_path(folder / name) as tmp, open(tmp, "wb") as out:
            np.save(out, np.array(rows, dtype=dtype))
    total_frames = sum(row[2] for row in sentences)
    summary.records, summary.sentences = len(records), len(sentences)
    summary.shards, summary.hours = len(shard_sizes), total_frames / codec["frame_rate"] / 3600
    languages = sorted({s.language for items in speakers.values() for s in items})
    return {"format": "voxtune-packed/1", "codec": codec, "speakers": names,
            "languages": languages, "hours": summary.hours, "records": len(records),
            "sentences": len(sentences),
            "shards": [{"name": shard_name(n), "bytes": b} for n, b in enumerate(shard_sizes)]}


def _replace(staging: Path, out: Path) -> None:
    """Move the finished folder to `out`, replacing an earlier packed folder only."""
    if out.exists():
        if not (out / METADATA).is_file():
            shutil.rmtree(staging)
            raise InputError(f"{out} exists and is not a packed dataset; choose a new folder")
        old = out.with_name(f".{out.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        staging.rename(out)
        shutil.rmtree(old)
    else:
        staging.rename(out)
