"""The optional messy folder: broken and awkward inputs beside good clips.

Each file is described in `OUT/messy/EXPECTED.md`, for testing a preparation tool's error
handling.
"""

import io
import wave
from pathlib import Path

import numpy as np
import soundfile as sf

from voxtune.audio.io import write_audio
from voxtune.demo.speech import MESSY, peak_to, sentences, silence, stream
from voxtune.demo.synth import synthesize
from voxtune.demo.voices import voices
from voxtune.files import atomic_open, write_text

MESSY_EXPECTED = """\
# What is wrong in this folder

Two speakers, `alice/` and `Zoë Ñandú/`, in the speaker-folders layout (`SPEAKER/ID.wav` +
`SPEAKER/ID.lab`). A preparation tool should keep the good clips, set each bad one aside
with a reason naming the file, and finish the batch.

## Good (should be kept)

- `alice/good_01` … `alice/good_03` (`.wav` + `.lab`): ordinary clips.
- `alice/ünïcode clip 1` (`.wav` + `.lab`): a name with spaces and non-ASCII letters.
- `Zoë Ñandú/0001`, `Zoë Ñandú/0002` (`.wav` + `.lab`): a speaker folder whose name has a
  space and non-ASCII letters; the speaker is `Zoë Ñandú`.

## Bad (should be set aside or reported, with the reason)

- `alice/empty_audio.wav`: zero bytes (empty audio).
- `alice/truncated.wav`: a valid WAV header, but the body is cut to a quarter, mid-sample
  (corrupt; at most the part that decodes may be kept).
- `alice/garbage.wav`: random bytes with no WAV header at all (unreadable audio).
- `alice/no_label.wav`: no `.lab` beside it (missing transcript; transcribe or skip).
- `alice/no_audio.lab`: no audio beside it (transcript without audio).
- `alice/latin1.lab`: Latin-1 bytes (`café`, `crème`), not UTF-8 (bad encoding; decode
  with a fallback and a warning, or reject).
- `alice/binary_label.lab`: binary junk with NUL bytes (transcript is not text).
- `alice/empty_label.lab`: zero bytes (empty transcript).
- `alice/rate_1hz.wav`: the header claims a sample rate of 1 Hz (bad sample rate).
- `alice/twelve_channels.wav`: 12 channels (too many channels).
- `alice/near_silent.wav`: speech peaking at -70 dBFS (too quiet for the quality gate).
- `alice/clipped.wav`: speech amplified ×20 and clipped (clipping, for the quality gate).
- `alice/dup.wav` and `alice/dup.flac`: two audio files with the same id `dup` (duplicate
  id; at most one kept).
"""


def write_messy(folder: Path, seed: int) -> None:
    """Good clips beside broken and awkward ones, and EXPECTED.md saying which is which.

    EXPECTED.md is written last, so its presence means the folder is complete.
    """
    if (folder / "EXPECTED.md").is_file():
        return
    voice = voices(1, include_mandarin=False)[0]  # always espeak-ng
    pool = sentences("en")
    texts = iter([pool[i] for i in stream(seed, MESSY).permutation(len(pool))])
    rng = stream(seed, MESSY, 1)
    main, odd = folder / "alice", folder / "Zoë Ñandú"

    def speak(text: str | None = None) -> tuple[str, np.ndarray, int]:
        text = text or next(texts)
        speech, rate = synthesize(voice, text)
        return text, np.concatenate([silence(0.2, rate), peak_to(speech, -3.0),
                                     silence(0.2, rate)]), rate

    def good(stem: Path) -> None:
        text, audio, rate = speak()
        write_text(stem.with_suffix(".lab"), text)
        write_audio(stem.with_suffix(".wav"), audio, rate)

    def write_bytes(path: Path, data: bytes) -> None:
        with atomic_open(path, "wb") as handle:
            handle.write(data)

    for stem in ("good_01", "good_02", "good_03", "ünïcode clip 1"):
        good(main / stem)
    good(odd / "0001")
    good(odd / "0002")

    write_bytes(main / "empty_audio.wav", b"")
    write_text(main / "empty_audio.lab", next(texts))

    text, audio, rate = speak()
    buffer = io.BytesIO()
    sf.write(buffer, audio, rate, format="WAV", subtype="PCM_16")
    whole = buffer.getvalue()
    write_bytes(main / "truncated.wav", whole[:44 + (len(whole) - 44) // 4 + 1])
    write_text(main / "truncated.lab", text)

    write_bytes(main / "garbage.wav", rng.bytes(48_000))
    write_text(main / "garbage.lab", next(texts))

    _, audio, rate = speak()
    write_audio(main / "no_label.wav", audio, rate)
    write_text(main / "no_audio.lab", next(texts))

    latin = "The café served crème brûlée to a naïve visitor."
    _, audio, rate = speak(latin)
    write_audio(main / "latin1.wav", audio, rate)
    write_bytes(main / "latin1.lab", latin.encode("latin-1"))

    _, audio, rate = speak()
    write_audio(main / "binary_label.wav", audio, rate)
    write_bytes(main / "binary_label.lab", b"\x00\x00\xff\xfe\x00JUNK\x00" + rng.bytes(64))

    _, audio, rate = speak()
    write_audio(main / "empty_label.wav", audio, rate)
    write_bytes(main / "empty_label.lab", b"")

    text, audio, rate = speak()
    with atomic_open(main / "rate_1hz.wav", "wb") as handle, wave.open(handle, "wb") as header:
        header.setnchannels(1)
        header.setsampwidth(2)
        header.setframerate(1)
        header.writeframes((audio * 32767).astype("<i2").tobytes())
    write_text(main / "rate_1hz.lab", text)

    text, audio, rate = speak()
    write_audio(main / "twelve_channels.wav", np.tile(audio, (12, 1)), rate)
    write_text(main / "twelve_channels.lab", text)

    text, audio, rate = speak()
    write_audio(main / "near_silent.wav", peak_to(audio, -70.0), rate)
    write_text(main / "near_silent.lab", text)

    text, audio, rate = speak()
    write_audio(main / "clipped.wav", np.clip(audio * 20.0, -1.0, 1.0), rate)
    write_text(main / "clipped.lab", text)

    text, audio, rate = speak()
    write_audio(main / "dup.wav", audio, rate)
    write_audio(main / "dup.flac", audio, rate)
    write_text(main / "dup.lab", text)

    write_text(folder / "EXPECTED.md", MESSY_EXPECTED)
