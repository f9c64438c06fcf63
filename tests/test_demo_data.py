"""`voxtune demo-data`: both corpus forms, exact ground truth, determinism, the messy folder."""

import json
from pathlib import Path

import numpy as np
import pytest

from voxtune.audio.io import read_audio, to_mono
from voxtune.demo import demo_data
from voxtune.demo import synth as synth_module
from voxtune.demo.speech import sentences
from voxtune.demo.voices import HELD_OUT_VOICES, roster_size, voices
from voxtune.errors import ClipRejected, InputError

SETTINGS = {"speakers": 2, "minutes": 0.3, "show_progress": False}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "corpus"
    return demo_data(out, seed=0, messy=True, **SETTINGS)


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _rms(audio: np.ndarray) -> float:
    return float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))


def test_roster_has_many_distinct_speakers_and_mandarin_last():
    roster = voices(30, include_mandarin=True)
    assert len({voice.name for voice in roster}) == 31
    assert len({(voice.engine, voice.voice) for voice in roster}) == 31
    assert roster[-1].name == "zh_cmn" and roster[-1].low_quality
    assert voices(4, include_mandarin=False) == roster[:4]


def test_both_forms_and_roster_are_written(corpus):
    out = corpus.out
    roster = json.loads((out / "speakers.json").read_text("utf-8"))
    assert [speaker["name"] for speaker in roster] == corpus.speakers
    assert len(corpus.speakers) == 3 and corpus.speakers[-1] == "zh_cmn"
    assert [speaker["low_quality"] for speaker in roster] == [False, False, True]
    for name in corpus.speakers:
        wavs = sorted((out / "clips" / name).glob("*.wav"))
        assert wavs and all(wav.with_suffix(".lab").is_file() for wav in wavs)
        assert list((out / "long" / name).glob("rec*.*"))
    assert corpus.clips == sum(len(list((out / "clips" / n).glob("*.wav")))
                               for n in corpus.speakers)
    assert corpus.clip_seconds >= 0.3 * 60 * len(corpus.speakers)


def test_clip_labels_are_exact_sentences(corpus):
    known = {"en": set(sentences("en")), "zh": set(sentences("zh"))}
    for lab in (corpus.out / "clips").rglob("*.lab"):
        text = lab.read_bytes().decode("utf-8")
        language = "zh" if lab.parent.name == "zh_cmn" else "en"
        assert text in known[language], lab
        audio, rate = read_audio(lab.with_suffix(".wav"))
        assert audio.shape[0] == 1 and rate in (16000, 22050)
        assert 1.0 < audio.shape[1] / rate < 15.0


def test_long_recordings_decode_as_recorded(corpus):
    records = _jsonl(corpus.out / "long" / "recordings.jsonl")
    assert len(records) == corpus.recordings == 3
    for record in records:
        audio, rate = read_audio(corpus.out / "long" / record["recording"])
        assert record["recording"].endswith("." + record["format"])
        assert rate == record["sample_rate"]
        assert audio.shape[0] == record["channels"]
        assert audio.shape[1] / rate == pytest.approx(record["duration"], abs=0.05)
        peak_db = 20 * np.log10(np.abs(audio).max())
        assert peak_db == pytest.approx(record["gain_db"], abs=1.0)
        assert -25.0 <= record["gain_db"] <= -3.0
    # Exactly one very noisy recording per corpus, and never the low-quality speaker's.
    very_noisy = [record for record in records if record["snr_db"] == 10.0]
    assert len(very_noisy) == 1 and not very_noisy[0]["low_quality"]


def test_truth_spans_are_tight_and_cover_the_speech(corpus):
    records = {r["recording"]: r for r in _jsonl(corpus.out / "long" / "recordings.jsonl")}
    truth = _jsonl(corpus.out / "long" / "truth.jsonl")
    assert len(truth) == corpus.spans
    known = set(sentences("en")) | set(sentences("zh"))
    for name, record in records.items():
        spans = [line for line in truth if line["recording"] == name]
        assert len(spans) == record["sentences"] >= 1
        assert all(line["text"] in known and line["speaker"] == record["speaker"]
                   for line in spans)
        audio, rate = read_audio(corpus.out / "long" / name)
        mono = to_mono(audio)
        edges = [0.0] + [t for line in spans for t in (line["start"], line["end"])]
        edges.append(mono.size / rate)
        assert edges == sorted(edges) and spans[-1]["end"] < mono.size / rate
        inside = np.concatenate([mono[round(line["start"] * rate):round(line["end"] * rate)]
                                 for line in spans])
        # Gaps between and around spans, minus 20 ms at each side for resampler ringing.
        gaps = np.concatenate([mono[round((a + 0.02) * rate):round((b - 0.02) * rate)]
                               for a, b in zip(edges[::2], edges[1::2], strict=True)])
        ratio_db = 20 * np.log10(_rms(inside) / max(_rms(gaps), 1e-9))
        if record["snr_db"] is None:
            assert ratio_db > 40, name
        else:
            # Spans hold speech + noise, gaps noise only: their ratio follows the SNR.
            assert ratio_db > record["snr_db"] - 3, name
        if record["snr_db"] is None:
            # Tight: speech reaches each span's edges (within 10 ms) in a clean recording.
            floor = np.abs(mono).max() * 10 ** (-50 / 20)
            for line in spans:
                start, end = round(line["start"] * rate), round(line["end"] * rate)
                assert np.abs(mono[start:start + rate // 100]).max() > floor, line
                assert np.abs(mono[end - rate // 100:end]).max() > floor, line


def test_same_seed_same_bytes_other_seed_differs(corpus, tmp_path):
    again = demo_data(tmp_path / "again", seed=0, **SETTINGS)
    other = demo_data(tmp_path / "other", seed=1, **SETTINGS)
    for path in list((corpus.out / "clips").rglob("*.wav")) + list(
            (corpus.out / "long").rglob("*.*")):
        if path.suffix in (".wav", ".flac", ".lab", ".jsonl"):
            twin = again.out / path.relative_to(corpus.out)
            assert twin.read_bytes() == path.read_bytes(), path
    assert ((other.out / "long" / "truth.jsonl").read_bytes()
            != (corpus.out / "long" / "truth.jsonl").read_bytes())
    assert ((other.out / "clips" / "zh_cmn" / "0000.wav").read_bytes()
            != (corpus.out / "clips" / "zh_cmn" / "0000.wav").read_bytes())


def test_rerun_keeps_complete_files_and_refuses_other_settings(corpus):
    clip = corpus.out / "clips" / corpus.speakers[0] / "0000.wav"
    before = clip.stat().st_mtime_ns
    rerun = demo_data(corpus.out, seed=0, messy=True, **SETTINGS)
    assert clip.stat().st_mtime_ns == before
    assert (rerun.clips, rerun.spans) == (corpus.clips, corpus.spans)
    with pytest.raises(InputError, match="other settings"):
        demo_data(corpus.out, seed=5, **SETTINGS)


def test_resumed_clips_are_not_spoken_again(tmp_path, monkeypatch):
    settings = {"speakers": 1, "minutes": 0.2, "mandarin": False, "long": False,
                "show_progress": False}
    first = demo_data(tmp_path / "c", seed=0, **settings)
    clips = sorted((tmp_path / "c" / "clips").rglob("*.wav"))
    last = clips[-1]
    last.unlink()  # as if the run had been stopped before its last clip
    spoken: list[str] = []
    speak = synth_module.synthesize

    def counting(voice, text):
        spoken.append(text)
        return speak(voice, text)

    monkeypatch.setattr("voxtune.demo.speech.synthesize", counting)
    again = demo_data(tmp_path / "c", seed=0, **settings)
    assert last.is_file() and again.clips == first.clips
    assert 1 <= len(spoken) < len(clips)  # the missing clip, and no more than its look-ahead
    assert spoken[0] == last.with_suffix(".lab").read_text("utf-8")


def test_messy_folder_holds_each_listed_problem(corpus):
    messy = corpus.messy
    alice = messy / "alice"
    expected = (messy / "EXPECTED.md").read_text("utf-8")
    for name in ("empty_audio.wav", "truncated.wav", "garbage.wav", "no_label.wav",
                 "no_audio.lab", "latin1.lab", "binary_label.lab", "empty_label.lab",
                 "rate_1hz.wav", "twelve_channels.wav", "near_silent.wav", "clipped.wav",
                 "dup.wav", "dup.flac", "ünïcode clip 1.wav"):
        assert (alice / name).is_file(), name
        assert f"alice/{name.rsplit('.', 1)[0]}" in expected, name
    assert sorted(p.name for p in (messy / "Zoë Ñandú").iterdir()) == [
        "0001.lab", "0001.wav", "0002.lab", "0002.wav"]
    assert not (alice / "no_label.lab").exists() and not (alice / "no_audio.wav").exists()
    assert (alice / "empty_audio.wav").stat().st_size == 0
    assert (alice / "empty_label.lab").stat().st_size == 0
    assert b"\x00" in (alice / "binary_label.lab").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        (alice / "latin1.lab").read_bytes().decode("utf-8")
    reasons = {}
    for name in ("empty_audio.wav", "garbage.wav", "rate_1hz.wav"):
        with pytest.raises(ClipRejected) as caught:
            read_audio(alice / name)
        reasons[name] = caught.value.reason
    assert reasons == {"empty_audio.wav": "empty_audio", "garbage.wav": "unreadable_audio",
                       "rate_1hz.wav": "bad_sample_rate"}
    assert read_audio(alice / "twelve_channels.wav")[0].shape[0] == 12
    assert np.abs(read_audio(alice / "near_silent.wav")[0]).max() < 10 ** (-60 / 20)
    assert np.mean(np.abs(read_audio(alice / "clipped.wav")[0]) > 0.999) > 0.05
    good, _ = read_audio(alice / "good_01.wav")
    truncated, _ = read_audio(alice / "truncated.wav")
    assert truncated.shape[1] < good.shape[1] / 2


def test_synthesis_is_trimmed_to_the_speech():
    text = {"en": "Seven small boats were tied to the dock.", "zh": "我们明天下午三点开会。"}
    for voice in voices(2, include_mandarin=True):
        audio, rate = synth_module.synthesize(voice, text[voice.language])
        assert audio.dtype == np.float32 and audio.ndim == 1 and rate in (16000, 22050)
        edge = np.abs(audio).max() * 10 ** (synth_module.TRIM_FLOOR_DB / 20)
        assert abs(audio[0]) > edge and abs(audio[-1]) > edge


def test_missing_engine_says_what_to_install(monkeypatch):
    monkeypatch.setattr(synth_module.shutil, "which", lambda _name: None)
    with pytest.raises(InputError, match="apt-get install espeak-ng"):
        synth_module.synthesize(voices(1, include_mandarin=False)[0], "Hello there.")


def test_a_voice_made_alone_speaks_as_it_does_in_the_full_corpus(corpus, tmp_path):
    """A voice held out of a corpus can be made later, alone, with the same sentences."""
    name = corpus.speakers[1]
    alone = demo_data(tmp_path / "alone", seed=0, voices_named=[name], long=False,
                      minutes=0.3, show_progress=False)
    assert alone.speakers == [name]
    made = sorted((tmp_path / "alone" / "clips" / name).iterdir())
    assert made and [p.read_bytes() for p in made] == [
        (corpus.out / "clips" / name / p.name).read_bytes() for p in made]
    with pytest.raises(InputError, match="no demo voice named 'nobody'"):
        demo_data(tmp_path / "x", voices_named=["nobody"], show_progress=False)


def test_every_roster_voice_can_be_named(tmp_path):
    """A corpus may name any roster voice, the last ones too (the flite voices' slots push
    them past espeak-ng's count)."""
    roster = [v.name for v in voices(roster_size(), include_mandarin=False)]
    assert len(set(roster)) == roster_size() >= 96
    assert set(HELD_OUT_VOICES) <= set(roster)
    made = demo_data(tmp_path / "last", seed=0, voices_named=[roster[-1]], long=False,
                     minutes=0.05, show_progress=False)
    assert made.speakers == [roster[-1]] and made.clips > 0


def test_recombined_sentences_are_new_and_reproducible(corpus, tmp_path):
    """Base-model corpora trade shipped sentences for recombined ones; the rest is unchanged."""
    from voxtune.demo.recombine import WordChain

    chain = WordChain("en")
    settings = dict(speakers=1, minutes=0.3, long=False, show_progress=False)
    mixed = demo_data(tmp_path / "mixed", seed=0, recombined=0.5, **settings)
    demo_data(tmp_path / "again", seed=0, recombined=0.5, **settings)
    name = mixed.speakers[0]
    texts = [p.read_text("utf-8") for p in sorted((tmp_path / "mixed" / "clips" / name)
                                                   .glob("*.lab"))]
    assert texts == [p.read_text("utf-8") for p in sorted(
        (tmp_path / "again" / "clips" / name).glob("*.lab"))]
    new = [text for text in texts if text not in chain.known]
    assert 0 < len(new) < len(texts)  # about half, never a shipped or held-out sentence
    assert all(len(text.split()) >= 5 and text[-1] in ".?!" for text in new)
    assert set(texts) - set(new) <= set(sentences("en"))
    with pytest.raises(InputError, match="--recombined is a share"):
        demo_data(tmp_path / "x", recombined=1.5, show_progress=False)
