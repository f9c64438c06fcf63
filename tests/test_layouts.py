"""Reading each dataset layout from hand-made examples, bad entries included, and detection."""

import json
import shutil

import pytest
import soundfile as sf

from tests.conftest import SEED_CLIPS, by_id, reasons
from voxtune.data.layouts import detect_layout, read_layout
from voxtune.data.layouts.gptsovits import normalise_language
from voxtune.errors import InputError

# --- folders ---------------------------------------------------------------------------


def test_folders_reads_seed_with_spaces_and_non_ascii(seed):
    utterances, rejects = read_layout(seed, "folders", language="en")
    assert rejects == []
    found = by_id(utterances)
    assert set(found) == {f"{s}/{stem}" for s, stem, _ in SEED_CLIPS}
    for speaker, stem, text in SEED_CLIPS:
        utterance = found[f"{speaker}/{stem}"]
        assert (utterance.speaker, utterance.text, utterance.language) == (speaker, text, "en")
        assert utterance.audio == seed / speaker / f"{stem}.wav"
        assert utterance.audio.is_absolute() and utterance.start is None


def test_folders_bad_entries_become_rejects(seed, tmp_path):
    src = tmp_path / "messy"
    wav = seed / "alice" / "a1.wav"
    spk = src / "bob"
    spk.mkdir(parents=True)
    for stem in ("ok", "nolabel", "latin", "binary", "empty", "dup", "bom"):
        shutil.copy(wav, spk / f"{stem}.wav")
    data, rate = sf.read(wav)
    sf.write(spk / "dup.flac", data, rate)  # same id as dup.wav; dup.flac sorts first
    (spk / "ok.lab").write_text("fine text", encoding="utf-8")
    (spk / "ok.txt").write_text("ignored: .lab wins", encoding="utf-8")
    (spk / "latin.lab").write_bytes("café crème".encode("latin-1"))
    (spk / "binary.lab").write_bytes(b"\x00\x01\x02\x03binary\xff")
    (spk / "empty.lab").write_text("  \n", encoding="utf-8")
    (spk / "dup.lab").write_text("dup text", encoding="utf-8")
    (spk / "bom.txt").write_bytes("\ufeffwith a BOM\nand two lines".encode())
    (spk / "orphan.lab").write_text("no audio", encoding="utf-8")
    (spk / ".hidden.wav").write_bytes(b"not audio")
    (src / "rejected.jsonl").write_text("{}\n", encoding="utf-8")
    (src / "report.txt").write_text("a voxtune report", encoding="utf-8")
    shutil.copy(wav, src / "direct.wav")

    utterances, rejects = read_layout(src, "folders")
    found = by_id(utterances)
    assert set(found) == {"bob/ok", "bob/nolabel", "bob/dup", "bob/bom", "messy/direct"}
    assert found["bob/ok"].text == "fine text"
    assert found["bob/nolabel"].text is None
    assert found["bob/dup"].audio.suffix == ".flac"
    assert found["bob/bom"].text == "with a BOM and two lines"
    assert found["messy/direct"].speaker == "messy"
    assert reasons(rejects) == ["duplicate_id", "empty_label", "label_binary",
                                "label_not_utf8", "label_without_audio"]
    for reject in rejects:
        assert reject.source.startswith(str(spk)) and reject.message.startswith(reject.source)


def test_folders_rejects_utf16_label(seed, tmp_path):
    shutil.copy(seed / "alice" / "a1.wav", tmp_path / "x.wav")
    (tmp_path / "x.lab").write_text("hello", encoding="utf-16")
    utterances, rejects = read_layout(tmp_path, "folders")
    assert utterances == [] and reasons(rejects) == ["label_not_utf8"]
    assert "UTF-16" in rejects[0].message


# --- gptsovits -------------------------------------------------------------------------


def test_gptsovits_reads_lines_and_rejects_bad_ones(seed, tmp_path):
    a1, b1 = seed / "alice" / "a1.wav", seed / "zoë" / "b1.wav"
    shutil.copy(a1, tmp_path / "local.wav")
    shutil.copy(a1, tmp_path / "moved.wav")
    (tmp_path / "sub").mkdir()
    shutil.copy(a1, tmp_path / "sub" / "rel one.wav")
    lines = [
        f"{a1}|alice|ZH|第一句",
        f"{b1}|zoë|all_ja|second | with a pipe",
        "sub/rel one.wav|carol|EN|relative path",
        r"D:\GPT-SoVITS\output\slicer_opt\moved.wav|dave|yue|windows path",
        "local.wav|erin|XX|unknown language",
        "local.wav|erin|EN",
        "",
        f"{a1}|alice|ZH|   ",
        "nowhere.wav|frank|EN|missing audio",
        f"{a1}|alice|ZH|listed twice",
    ]
    (tmp_path / "train.list").write_text("\n".join(lines) + "\n", encoding="utf-8")
    utterances, rejects = read_layout(tmp_path / "train.list", language="en")
    found = by_id(utterances)
    assert found["alice/a1"].language == "zh" and found["alice/a1"].text == "第一句"
    assert found["zoë/b1"].language == "ja" and found["zoë/b1"].text == "second | with a pipe"
    assert found["carol/rel one"].audio == tmp_path / "sub" / "rel one.wav"
    assert found["dave/moved"].audio == tmp_path / "moved.wav"
    assert found["dave/moved"].language == "yue"
    assert found["erin/local"].language == "xx"
    assert len(utterances) == 5
    assert reasons(rejects) == ["bad_line", "duplicate_audio", "empty_label", "missing_audio"]
    messages = {r.reason: r.message for r in rejects}
    assert "train.list line 6" in messages["bad_line"]
    assert "train.list line 8" in messages["empty_label"]
    assert "train.list line 9" in messages["missing_audio"]


def test_gptsovits_language_codes():
    assert [normalise_language(c) for c in ("ZH", "all_zh", "EN", "JA", "JP", "KO", "all_ko",
                                            "YUE", "all_yue", "Fr")] == [
        "zh", "zh", "en", "ja", "ja", "ko", "ko", "yue", "yue", "fr"]


# --- vits ------------------------------------------------------------------------------


def test_vits_filelists(seed, tmp_path):
    a1, b1 = seed / "alice" / "a1.wav", seed / "zoë" / "b1.wav"
    lists = tmp_path / "filelists"
    lists.mkdir()
    (lists / "train.txt").write_text(
        f"{a1}|3|three fields\n{b1}|two fields\nmissing.wav|0|nope\nno pipe here\n",
        encoding="utf-8")
    utterances, rejects = read_layout(lists / "train.txt", "vits")
    found = by_id(utterances)
    assert found["3/a1"].text == "three fields" and found["3/a1"].speaker == "3"
    assert found["filelists/b1"].text == "two fields"
    assert reasons(rejects) == ["bad_line", "missing_audio"]
    messages = {r.reason: r.message for r in rejects}
    assert "train.txt line 3" in messages["missing_audio"]
    assert "train.txt line 4" in messages["bad_line"]


def test_vits_reads_ljspeech_metadata(seed, tmp_path):
    lj = tmp_path / "LJSpeech-1.1"
    (lj / "wavs").mkdir(parents=True)
    shutil.copy(seed / "alice" / "a1.wav", lj / "wavs" / "LJ001-0001.wav")
    shutil.copy(seed / "alice" / "a2.wav", lj / "wavs" / "LJ001-0002.wav")
    (lj / "metadata.csv").write_text(
        "LJ001-0001|Printing, in 1476.|Printing, in fourteen seventy-six.\n"
        "LJ001-0002|In being comparatively modern.|\n", encoding="utf-8")
    assert detect_layout(lj) == "vits"
    utterances, rejects = read_layout(lj)
    assert rejects == []
    found = by_id(utterances)
    assert found["LJSpeech-1.1/LJ001-0001"].text == "Printing, in fourteen seventy-six."
    assert found["LJSpeech-1.1/LJ001-0002"].text == "In being comparatively modern."


# --- kaldi -----------------------------------------------------------------------------


def test_kaldi_reads_segments_and_rejects_pipes_without_running_them(seed, tmp_path):
    a1, b1 = seed / "alice" / "a1.wav", seed / "zoë" / "b1.wav"
    canary = tmp_path / "pipe-ran"
    data = tmp_path / "data"
    data.mkdir()
    (data / "wav.scp").write_text(f"recA {a1}\nrecB {b1}\nrecP touch {canary} |\n",
                                  encoding="utf-8")
    (data / "segments").write_text("u1 recA 0.1 0.6\nu2 recA 0.5 -1\nu3 recB 0 -1\n"
                                   "u4 recP 0 1\nu5 recA 2 1\nu6 recA 0.2 0.4\n",
                                   encoding="utf-8")
    (data / "text").write_text("u1 first part\nu2 second part\nu3 whole file\nu4 piped\n"
                               "u5 backwards\nu7 no audio\n", encoding="utf-8")
    (data / "utt2spk").write_text("u1 alice\nu2 alice\nu3 zoe\n", encoding="utf-8")
    (data / "spk2utt").write_text("ignored on read\n", encoding="utf-8")
    utterances, rejects = read_layout(data, language="de")
    assert not canary.exists()
    found = by_id(utterances)
    assert set(found) == {"u1", "u2", "u3"}
    assert (found["u1"].start, found["u1"].end, found["u1"].speaker) == (0.1, 0.6, "alice")
    assert (found["u2"].start, found["u2"].end) == (0.5, None)
    assert (found["u3"].start, found["u3"].end, found["u3"].audio) == (None, None, b1)
    assert found["u1"].language == "de"
    assert reasons(rejects) == ["audio_without_text", "bad_segment", "piped_wav_scp",
                                "text_without_audio"]
    piped = next(r for r in rejects if r.reason == "piped_wav_scp")
    assert piped.id == "u4" and "wav.scp line 3" in piped.message
    assert "Materialise the audio" in piped.message


def test_kaldi_without_segments_or_utt2spk(seed, tmp_path):
    data = tmp_path / "train"
    data.mkdir()
    (data / "wav.scp").write_text(f"x1 {seed / 'alice' / 'clip 3.wav'}\nx2 rel.wav\n",
                                  encoding="utf-8")
    shutil.copy(seed / "alice" / "a2.wav", data / "rel.wav")
    (data / "text").write_text("x1 hello world\nx2  \n", encoding="utf-8")
    utterances, rejects = read_layout(data / "wav.scp")
    assert [(u.id, u.speaker, u.text) for u in utterances] == [("x1", "train", "hello world")]
    assert reasons(rejects) == ["empty_label"]


# --- chatml ----------------------------------------------------------------------------


def chatml_line(key, path, text, prompt="语音转写：", system="You are a helpful assistant."):
    messages = [{"role": "user", "content": f"{prompt}<|startofspeech|>!{path}<|endofspeech|>"},
                {"role": "assistant", "content": text}]
    if system is not None:
        messages.insert(0, {"role": "system", "content": system})
    return json.dumps({"key": key, "messages": messages, "text_length": len(text)},
                      ensure_ascii=False)


def test_chatml_reads_prompts_and_rejects_bad_lines(seed, tmp_path):
    shutil.copy(seed / "alice" / "a1.wav", tmp_path / "rel.wav")
    lines = [
        chatml_line("utt1", seed / "zoë" / "b1.wav", "你好"),
        chatml_line("utt2", "rel.wav", "relative", prompt="Speech transcription: ", system=None),
        "{not json",
        json.dumps({"key": "utt3", "messages": [{"role": "user", "content": "no speech"}]}),
        json.dumps({"messages": []}),
        chatml_line("utt4", seed / "alice" / "a1.wav", ""),
        chatml_line("utt5", "gone.wav", "missing"),
        chatml_line("utt1", seed / "alice" / "a2.wav", "duplicate key"),
        "[1, 2]",
    ]
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert detect_layout(path) == "chatml" and detect_layout(tmp_path) == "chatml"
    utterances, rejects = read_layout(path)
    found = by_id(utterances)
    assert set(found) == {"utt1", "utt2"}
    assert found["utt1"].text == "你好" and found["utt1"].audio == seed / "zoë" / "b1.wav"
    assert found["utt1"].extra == {"prompt": "语音转写：", "system": "You are a helpful assistant."}
    assert found["utt2"].extra == {"prompt": "Speech transcription: "}
    assert found["utt2"].audio == tmp_path / "rel.wav"
    assert reasons(rejects) == ["bad_json", "bad_json", "duplicate_id", "missing_audio",
                                "missing_field", "missing_field", "missing_field"]
    assert any("train.jsonl line 3" in r.message for r in rejects if r.reason == "bad_json")


# --- longform and manifest -------------------------------------------------------------


def test_longform_reads_unlabelled_recordings(seed, tmp_path):
    src = tmp_path / "Grandma Tapes"
    src.mkdir()
    shutil.copy(seed / "alice" / "a1.wav", src / "side A.wav")
    shutil.copy(seed / "zoë" / "b1.wav", tmp_path / "Grandma Tapes" / "side B.wav")
    assert detect_layout(src) == "longform"
    utterances, rejects = read_layout(src)
    assert rejects == []
    assert [(u.id, u.speaker, u.text) for u in utterances] == [
        ("Grandma Tapes/side A", "Grandma Tapes", None),
        ("Grandma Tapes/side B", "Grandma Tapes", None)]


def test_manifest_reads_clips_and_rejects_bad_records(seed, tmp_path):
    shutil.copytree(seed / "alice", tmp_path / "alice")
    clip = {"id": "alice/a1", "audio": "alice/a1.wav", "speaker": "alice", "language": "fr",
            "text": "bonjour", "duration": 1.0, "sample_rate": 22050, "loudness_lufs": -23.0,
            "snr_db": 30.5, "source": "/orig/a.flac", "source_start": 3.0, "source_end": 4.0}
    lines = [json.dumps(clip), json.dumps({"id": "x", "audio": "alice/a2.wav"}),
             json.dumps({**clip, "id": "gone", "audio": "alice/gone.wav"})]
    (tmp_path / "manifest.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert detect_layout(tmp_path) == "manifest"
    utterances, rejects = read_layout(tmp_path)
    assert [(u.id, u.language, u.text) for u in utterances] == [("alice/a1", "fr", "bonjour")]
    assert utterances[0].extra["clip"]["snr_db"] == 30.5
    assert reasons(rejects) == ["bad_record", "missing_audio"]


# --- detection -------------------------------------------------------------------------


def test_detection(seed, tmp_path):
    assert detect_layout(seed) == "folders"
    list_dir = tmp_path / "gpt"
    list_dir.mkdir()
    (list_dir / "x.list").write_text(f"{seed / 'alice' / 'a1.wav'}|a|EN|t\n", encoding="utf-8")
    assert detect_layout(list_dir) == "gptsovits"
    assert detect_layout(list_dir / "x.list") == "gptsovits"
    kaldi = tmp_path / "kaldi"
    kaldi.mkdir()
    (kaldi / "wav.scp").write_text("", encoding="utf-8")
    (kaldi / "text").write_text("", encoding="utf-8")
    assert detect_layout(kaldi) == "kaldi"
    vits = tmp_path / "vits"
    vits.mkdir()
    (vits / "val.csv").write_text("a.wav|hello\n", encoding="utf-8")
    assert detect_layout(vits) == "vits"


def test_detection_explains_what_it_found(tmp_path):
    (tmp_path / "notes.json").write_text("{}", encoding="utf-8")
    (tmp_path / "orphan.lab").write_text("text", encoding="utf-8")
    with pytest.raises(InputError) as error:
        detect_layout(tmp_path)
    message = str(error.value)
    assert str(tmp_path) in message and "2 files" in message and ".lab" in message
    assert "no audio" in message and "--from" in message
    with pytest.raises(InputError, match="no such file"):
        read_layout(tmp_path / "absent")
    with pytest.raises(InputError, match="unknown layout 'nope'"):
        read_layout(tmp_path, "nope")
