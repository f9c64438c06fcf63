"""Kaldi data folders: `wav.scp` + `text`, optional `utt2spk` and `segments`.

Reading: `wav.scp` lines are `ID PATH`; piped entries (`ID sox … |`) are rejected, never run,
since running commands from a data file is unsafe. `segments` lines are `UTT REC START END`
in seconds (END -1: to the end of the recording). Without `utt2spk` the speaker is the
folder's name; `spk2utt` is derived data and ignored.

Writing: Kaldi ids cannot hold whitespace, so each whitespace character in an utterance or
speaker id becomes `_` ("alice/clip 1" → "alice/clip_1"); two ids that become the same raise
`InputError`. Every file is sorted by key as Kaldi requires. `segments` is written when any
utterance has offsets, and then `wav.scp` lists recordings ("0 -1" marks a whole file).
Audio paths are absolute; a path holding spaces is read by ESPnet, lhotse and Fun-ASR but
not by Kaldi's own binaries, so keep paths space-free for those.
"""

import os
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from voxtune.data.layouts.lines import missing_audio, read_lines, reject, resolve_audio, unique_id
from voxtune.data.layouts.options import ExportOptions
from voxtune.data.layouts.place import is_segment, writable
from voxtune.data.layouts.scan import one_line, require_folder
from voxtune.data.manifest import Reject, Utterance
from voxtune.errors import InputError
from voxtune.files import write_text

REQUIRED = ("wav.scp", "text")
_WHITESPACE = re.compile(r"\s")
Entry = tuple[str, float | None, float | None]  # (recording id, start, end)


def is_kaldi_dir(folder: Path) -> bool:
    return all((folder / name).is_file() for name in REQUIRED)


def read(src: Path, language: str) -> tuple[list[Utterance], list[Reject]]:
    folder = require_folder(src.parent if src.is_file() else src, "kaldi")
    if not is_kaldi_dir(folder):
        raise InputError(f"{folder}: a Kaldi data folder needs both wav.scp and text; "
                         f"missing {', '.join(n for n in REQUIRED if not (folder / n).is_file())}")
    rejects: list[Reject] = []
    recordings = read_wav_scp(folder / "wav.scp", rejects)
    texts = read_table(folder / "text", rejects)
    speakers = read_table(folder / "utt2spk", rejects) if (folder / "utt2spk").is_file() else {}
    entries: dict[str, Entry] = (_read_segments(folder / "segments", rejects)
                                 if (folder / "segments").is_file()
                                 else {rec: (rec, None, None) for rec in recordings})
    utterances = []
    reported = {r.id for r in rejects}  # a bad segment line already accounts for its utterance
    for utt, (number, text) in texts.items():
        where = f"{folder / 'text'} line {number}"
        if utt not in entries:
            if utt in reported:
                continue
            rejects.append(reject(folder / "text", "text_without_audio", f"{where}: {utt!r} has "
                                  "no audio in wav.scp/segments; add it or delete the line",
                                  id=utt))
            continue
        rec, start, end = entries[utt]
        audio = recordings.get(rec)
        if not isinstance(audio, Path):
            rejects.append(replace(audio, id=utt, source_start=start, source_end=end)
                           if isinstance(audio, Reject) else
                           reject(folder / "segments", "missing_recording", f"segment {utt!r} "
                                  f"names recording {rec!r}, which wav.scp does not list",
                                  id=utt))
            continue
        text = one_line(text)
        if not text:
            rejects.append(reject(folder / "text", "empty_label", f"{where}: {utt!r} has empty "
                                  "text; write the transcript or delete the line", id=utt))
            continue
        speaker = speakers.get(utt, (0, folder.name))[1].strip() or folder.name
        utterances.append(Utterance(id=utt, audio=audio, speaker=speaker, language=language,
                                    text=text, start=start, end=end))
    for utt in entries.keys() - texts.keys():
        rejects.append(reject(folder / "text", "audio_without_text", f"{folder / 'text'}: no "
                              f"line for {utt!r}, which has audio; add its transcript", id=utt))
    return utterances, rejects


def read_table(path: Path, rejects: list[Reject]) -> dict[str, tuple[int, str]]:
    """KEY → (line number, rest of line) of a Kaldi table; repeated keys are rejected."""
    table: dict[str, tuple[int, str]] = {}
    for number, line in read_lines(path, rejects):
        key, rest = (line.split(maxsplit=1) + [""])[:2]
        if key in table:
            rejects.append(reject(path, "duplicate_id", f"{path} line {number}: {key!r} repeats "
                                  f"line {table[key][0]}; delete one", id=key))
            continue
        table[key] = (number, rest.strip())
    return table


def read_wav_scp(path: Path, rejects: list[Reject]) -> dict[str, Path | Reject]:
    """Recording id → audio path, or the reject every utterance of that recording gets."""
    recordings: dict[str, Path | Reject] = {}
    for rec, (number, value) in read_table(path, rejects).items():
        if value.endswith("|"):
            recordings[rec] = reject(path, "piped_wav_scp", f"{path} line {number}: {rec!r} is "
                                     f"a shell pipe ({value!r}); voxtune never runs commands "
                                     "from data files. Materialise the audio first (run the "
                                     "command into a .wav file) and list that file's path")
        else:
            audio = resolve_audio(path, value)
            recordings[rec] = audio if audio else missing_audio(path, number, value)
    return recordings


def _read_segments(path: Path, rejects: list[Reject]) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    for utt, (number, value) in read_table(path, rejects).items():
        fields = value.split()
        where = f"{path} line {number}"
        if len(fields) == 4:
            rejects.append(reject(path, "unsupported_channel", f"{where}: a channel field is "
                                  "not supported; split the channels into separate files",
                                  id=utt))
            continue
        try:
            rec, start, end = fields[0], float(fields[1]), float(fields[2])
            if len(fields) != 3 or start < 0 or (end != -1 and end <= start):
                raise ValueError
        except (ValueError, IndexError):
            rejects.append(reject(path, "bad_segment", f"{where}: expected UTT REC START END "
                                  f"with 0 <= START < END (or END -1), found {value!r}", id=utt))
            continue
        to_end = end == -1
        entries[utt] = (rec, None if to_end and start == 0 else start, None if to_end else end)
    return entries


def target(out: Path) -> Path:
    """The folder written: OUT itself."""
    return out


def write(utterances: Sequence[Utterance], out: Path,
          options: ExportOptions) -> tuple[Path, list[Reject]]:
    """Write `wav.scp`, `text`, `utt2spk`, `spk2utt` (and `segments`) into the folder OUT."""
    rejects: list[Reject] = []
    kept = writable(utterances, "kaldi", rejects)
    ids = kaldi_ids([u.id for u in kept], "utterance")
    speakers = kaldi_ids(sorted({u.speaker for u in kept}), "speaker")
    rows = sorted(((ids[u.id], u) for u in kept), key=lambda row: row[0])
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / "text", "".join(f"{k} {one_line(u.text or '')}\n" for k, u in rows))
    write_text(out / "utt2spk", "".join(f"{k} {speakers[u.speaker]}\n" for k, u in rows))
    by_speaker: dict[str, list[str]] = {}
    for key, utterance in rows:
        by_speaker.setdefault(speakers[utterance.speaker], []).append(key)
    write_text(out / "spk2utt", "".join(f"{spk} {' '.join(keys)}\n"
                                        for spk, keys in sorted(by_speaker.items())))
    if any(is_segment(u) for u in kept):
        recs = _recording_ids(kept)
        write_text(out / "wav.scp", "".join(f"{rec} {path}\n"
                                            for path, rec in sorted(recs.items(),
                                                                    key=lambda kv: kv[1])))
        write_text(out / "segments", "".join(
            f"{k} {recs[_abs(u.audio)]} {_seconds(u.start or 0.0)} "
            f"{-1 if u.end is None else _seconds(u.end)}\n" for k, u in rows))
    else:
        (out / "segments").unlink(missing_ok=True)
        write_text(out / "wav.scp", "".join(f"{k} {_abs(u.audio)}\n" for k, u in rows))
    return out, rejects


def kaldi_ids(names: Sequence[str], what: str) -> dict[str, str]:
    """Name → whitespace-free Kaldi id (each whitespace character → `_`), collision-checked."""
    ids: dict[str, str] = {}
    owners: dict[str, str] = {}
    for name in names:
        key = _WHITESPACE.sub("_", name)
        if key in owners and owners[key] != name:
            raise InputError(f"{what} ids {owners[key]!r} and {name!r} both become {key!r} in "
                             "Kaldi, which forbids whitespace in ids; rename one of them")
        owners[key] = name
        ids[name] = key
    return ids


def _recording_ids(utterances: Sequence[Utterance]) -> dict[Path, str]:
    """Audio path → recording id: the file stem, made unique in sorted path order."""
    seen: set[str] = set()
    paths = sorted({_abs(u.audio) for u in utterances})
    return {path: unique_id(_WHITESPACE.sub("_", path.stem), seen) for path in paths}


def _abs(path: Path) -> Path:
    return Path(os.path.abspath(path))


def _seconds(value: float) -> str:
    return repr(float(value))
