"""Fun-ASR-Nano ChatML JSONL: one conversation per line.

    {"key": "utt1", "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": "语音转写：<|startofspeech|>!/abs/a.wav<|endofspeech|>"},
        {"role": "assistant", "content": "the text"}],
     "speech_length": 418, "text_length": 11}

The task prompt before the speech marker and the system prompt are kept in
`Utterance.extra["prompt"]`/`["system"]` so a round trip writes them back unchanged.
`speech_length` is the 10 ms fbank frame count of the audio (`lengths.fbank_frames`) and
`text_length` the transcript's token count under `ExportOptions.tokenizer`; both are
recomputed on writing. On reading, a `speech_length` that disagrees with the audio by more
than `LENGTH_TOLERANCE_FRAMES` or `LENGTH_TOLERANCE_RATIO` (whichever is more) sets the line
aside: the line then names the wrong file, or the audio changed after the list was made.
The tolerance absorbs the other frame-count conventions in use (N / 160 without snip_edges,
counting after resampling to 16 kHz), which differ by a few frames. The format holds no
speaker or language: the speaker is the JSONL file's folder name and the language the
caller's default.
"""

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from voxtune.data.layouts.lengths import fbank_frames, sample_count
from voxtune.data.layouts.lines import (
    missing_audio,
    read_json_lines,
    reject,
    resolve_audio,
)
from voxtune.data.layouts.options import ExportOptions
from voxtune.data.layouts.place import Placer, list_file, rejected, writable
from voxtune.data.layouts.scan import OWN_OUTPUTS, one_line
from voxtune.data.manifest import Reject, Utterance
from voxtune.data.tokens import token_counter
from voxtune.errors import ClipRejected, InputError
from voxtune.files import write_jsonl

SUFFIX = ".jsonl"
START, END = "<|startofspeech|>", "<|endofspeech|>"
LENGTH_TOLERANCE_FRAMES = 10  # 100 ms
LENGTH_TOLERANCE_RATIO = 0.02
_SPEECH = re.compile(re.escape(START) + "!(.*?)" + re.escape(END), re.DOTALL)


def is_chatml(path: Path) -> bool:
    """A `.jsonl` file whose first non-blank line is an object with `messages`."""
    if path.suffix.lower() != SUFFIX or path.name in OWN_OUTPUTS or path.name.startswith("."):
        return False
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            first = next((line for line in handle if line.strip()), "")
    except OSError:
        return False
    return '"messages"' in first


def jsonl_files(src: Path) -> list[Path]:
    """`src` if it is a file, else the ChatML JSONL files directly inside it."""
    if src.is_file():
        return [src]
    return sorted(p for p in src.glob(f"*{SUFFIX}") if p.is_file() and is_chatml(p))


def read(src: Path, language: str) -> tuple[list[Utterance], list[Reject]]:
    files = jsonl_files(src)
    if not files:
        raise InputError(f"{src}: no ChatML .jsonl file here (lines with \"messages\"); pass "
                         "the Fun-ASR JSONL file itself")
    utterances: list[Utterance] = []
    rejects: list[Reject] = []
    seen: dict[str, int] = {}
    for path in files:
        for number, obj in read_json_lines(path, rejects):
            parsed = _parse(path, number, obj, path.parent.name or "speaker", language)
            if isinstance(parsed, Reject):
                rejects.append(parsed)
            elif parsed.id in seen:
                rejects.append(reject(path, "duplicate_id", f"{path} line {number}: key "
                                      f"{parsed.id!r} repeats line {seen[parsed.id]}; give it "
                                      "a unique key or delete it", id=parsed.id))
            else:
                seen[parsed.id] = number
                utterances.append(parsed)
    return utterances, rejects


def _parse(path: Path, number: int, obj: dict[str, Any], speaker: str,
           language: str) -> Utterance | Reject:
    where = f"{path} line {number}"

    def missing(what: str) -> Reject:
        return reject(path, "missing_field", f"{where}: {what}; each line needs \"key\" and "
                      "\"messages\" with a user turn holding <|startofspeech|>!PATH"
                      "<|endofspeech|> and an assistant turn holding the text")

    key = obj.get("key")
    messages = obj.get("messages")
    if not isinstance(key, str | int) or str(key) == "":
        return missing('no "key"')
    if not isinstance(messages, list):
        return missing('no "messages" list')
    turns = {m.get("role"): m.get("content") for m in reversed(messages) if isinstance(m, dict)}
    user, answer, system = turns.get("user"), turns.get("assistant"), turns.get("system")
    match = _SPEECH.search(user) if isinstance(user, str) else None
    if match is None:
        return missing("no user message with <|startofspeech|>!PATH<|endofspeech|>")
    if not isinstance(answer, str) or not one_line(answer):
        return missing("no assistant message with the transcript")
    audio = resolve_audio(path, match.group(1))
    if audio is None:
        return missing_audio(path, number, match.group(1), id=str(key))
    wrong_length = _check_speech_length(path, number, obj.get("speech_length"), audio, str(key))
    if wrong_length is not None:
        return wrong_length
    extra: dict[str, Any] = {"prompt": user[:match.start()]}
    if isinstance(system, str):
        extra["system"] = system
    if user[match.end():]:
        extra["suffix"] = user[match.end():]
    return Utterance(id=str(key), audio=audio, speaker=speaker, language=language,
                     text=one_line(answer), extra=extra)


def _check_speech_length(path: Path, number: int, declared: Any, audio: Path,
                         key: str) -> Reject | None:
    """The reject for a `speech_length` that is not a number or disagrees with `audio`."""
    if declared is None:
        return None
    where = f"{path} line {number}"
    if isinstance(declared, bool) or not isinstance(declared, int | float):
        return reject(path, "bad_field", f'{where}: "speech_length" is {declared!r}, not a '
                      "count of 10 ms frames; correct it or delete the key", id=key)
    try:
        samples, rate = sample_count(audio)
    except ClipRejected as exc:
        return reject(path, exc.reason, f"{where}: {exc}", id=key)
    frames = fbank_frames(samples, rate)
    if abs(declared - frames) <= max(LENGTH_TOLERANCE_FRAMES, LENGTH_TOLERANCE_RATIO * frames):
        return None
    return reject(path, "speech_length_mismatch", f"{where}: speech_length {declared} but "
                  f"{audio} holds {frames} frames of 10 ms ({samples / rate:.2f} s); the line "
                  "names the wrong audio or the audio changed since the list was written: fix "
                  "the path, or write the list again with voxtune convert --to chatml", id=key)


def target(out: Path) -> Path:
    """The file written: OUT if it ends in `.jsonl`, else `OUT/dataset.jsonl`."""
    return list_file(out, (SUFFIX,), "dataset.jsonl")


def write(utterances: Sequence[Utterance], out: Path,
          options: ExportOptions) -> tuple[Path, list[Reject]]:
    """Write `OUT/dataset.jsonl` (or OUT itself if it ends in `.jsonl`)."""
    path = target(out)
    count_tokens = token_counter(options.tokenizer)
    placer = Placer(path.parent / f"{path.stem}_segments")
    rejects: list[Reject] = []
    records = []
    for utterance in writable(utterances, "chatml", rejects):
        try:
            audio = placer.list_audio(utterance)
            samples, rate = sample_count(audio)
        except ClipRejected as exc:
            rejects.append(rejected(utterance, exc))
            continue
        text = one_line(utterance.text or "")
        prompt = utterance.extra.get("prompt", options.prompt)
        user = f"{prompt}{START}!{audio}{END}{utterance.extra.get('suffix', '')}"
        records.append({
            "key": utterance.id,
            "messages": [
                {"role": "system", "content": utterance.extra.get("system", options.system)},
                {"role": "user", "content": user},
                {"role": "assistant", "content": text},
            ],
            "speech_length": fbank_frames(samples, rate),
            "text_length": count_tokens(text),
        })
    write_jsonl(path, records)
    return path, rejects
