"""`voxtune demo`: the whole job runs end to end on tiny models, leaves every stage's output
on disk, and judges the quality bars from the reports; the bars' rules hold exactly
at their thresholds."""

import dataclasses
import html
import json
import re

import pytest

from voxtune.cli import main
from voxtune.config import load_config
from voxtune.demo.bars import Measurements, judge, measure
from voxtune.demo.job import DemoPlan
from voxtune.errors import InputError
from voxtune.eval.codec import CodecClipRow, CodecReport, write_codec_report
from voxtune.eval.folder import ClipRow, FolderReport, Metric, write_report
from voxtune.files import write_text
from voxtune.tts.config import TTSTrainConfig
from voxtune.tts.train import train_tts

CODEC_CER = "base codec resynthesis: CER increase over the originals"
CODEC_SIMILARITY = "base codec resynthesis: similarity to the original"
VOICE_CODEC_CER = "voice's codec resynthesis: CER increase over the originals"
VOICE_CODEC_SIMILARITY = "voice's codec resynthesis: similarity to the original"
TUNED_CER = "fine-tuned: CER"
CER_VS_BASE = "fine-tuned: CER against base model zero-shot"
MARGIN = "fine-tuned: similarity margin"
MARGIN_OWN = "fine-tuned: margin against own recordings"
MARGIN_BASE = "fine-tuned: margin against base model zero-shot"
OVRL = "fine-tuned: DNSMOS OVRL"
SPEED = "base model: CPU real-time factor"
BARS = [CODEC_CER, CODEC_SIMILARITY, VOICE_CODEC_CER, VOICE_CODEC_SIMILARITY, TUNED_CER,
        CER_VS_BASE, MARGIN, MARGIN_OWN, MARGIN_BASE, OVRL, SPEED]

# Every measurement exactly at its bar (values chosen to be exact in binary floating point).
AT_THE_BARS = Measurements(codec_original_cer=0.0, codec_resynth_cer=0.03,
                           codec_similarity=0.90, voice_codec_original_cer=0.0,
                           voice_codec_resynth_cer=0.03, voice_codec_similarity=0.90,
                           tuned_cer=0.10, tuned_margin=0.2, base_cer=0.10 - 0.03,
                           own_margin=0.25, base_margin=0.1, tuned_ovrl=3.0, own_ovrl=3.3,
                           base_rtf=0.5, language="zh")


def statuses(measurements: Measurements) -> dict[str, str]:
    return {bar.name: bar.status for bar in judge(measurements)}


def test_every_bar_passes_exactly_at_its_threshold():
    assert statuses(AT_THE_BARS) == dict.fromkeys(BARS, "pass")


@pytest.mark.parametrize(("change", "failing"), [
    ({"codec_resynth_cer": 0.031}, {CODEC_CER}),
    ({"codec_similarity": 0.899}, {CODEC_SIMILARITY}),
    ({"voice_codec_resynth_cer": 0.031}, {VOICE_CODEC_CER}),
    ({"voice_codec_similarity": 0.899}, {VOICE_CODEC_SIMILARITY}),
    ({"tuned_cer": 0.101, "base_cer": 0.101 - 0.03}, {TUNED_CER}),
    ({"base_cer": 0.069}, {CER_VS_BASE}),
    ({"language": "es"}, {TUNED_CER}),  # 0.08 in English and Spanish
    ({"tuned_margin": 0.199}, {MARGIN_OWN}),
    ({"base_margin": 0.2}, {MARGIN_BASE}),  # equal to the base model is not better
    ({"tuned_margin": 0.0, "own_margin": -0.1, "base_margin": -0.1}, {MARGIN}),
    ({"tuned_ovrl": 2.99}, {OVRL}),
    ({"base_rtf": 0.51}, {SPEED}),
])
def test_just_past_a_threshold_fails_that_bar_alone(change, failing):
    result = statuses(dataclasses.replace(AT_THE_BARS, **change))
    assert {name for name, status in result.items() if status == "FAIL"} == failing
    assert {name for name, status in result.items() if status == "pass"} == set(BARS) - failing


def test_a_missing_input_is_not_measured_and_never_a_number():
    bars = {bar.name: bar for bar in judge(dataclasses.replace(AT_THE_BARS, own_margin=None))}
    assert bars[MARGIN_OWN].status == "not measured" and bars[MARGIN_OWN].threshold is None
    assert "similarity margin of the own recordings" in bars[MARGIN_OWN].note
    assert bars[MARGIN_OWN].value == 0.2  # the fine-tuned margin itself was measured
    assert bars[MARGIN].status == "pass"


def test_a_demo_folder_without_reports_measures_nothing_and_names_the_files(tmp_path):
    bars = judge(measure(tmp_path))
    assert [bar.name for bar in bars] == BARS
    assert all(bar.status == "not measured" and bar.value is None for bar in bars)
    notes = {bar.name: bar.note for bar in bars}
    assert "report-codec/report.json: no such file" in notes[CODEC_SIMILARITY]
    assert "report/report.json: no such file" in notes[SPEED]


def _metric(value: float) -> Metric:
    return Metric(value, value, value, 1)


def test_cer_comes_from_the_transcripts_and_gpu_speed_is_not_cpu_speed(tmp_path):
    """English reports score words; the bars count characters from the same transcripts."""
    text = "the cat sat"
    codec = CodecReport(
        codec="c", codec_source="c", data="d", unit="word", num_clips=1, num_skipped=1,
        no_speech=0, metrics={"resynth_similarity": _metric(0.93)}, speakers={},
        clips=[CodecClipRow(id="a", speaker="v", file="a.wav", text=text,
                            original_transcript=text, resynth_transcript="the cat sad"),
               CodecClipRow(id="b", speaker="v", file="b.wav", text=text, problem="silent")])
    write_codec_report(codec, tmp_path / "report-codec")
    write_report(FolderReport("word", {"similarity_margin": _metric(0.15),
                                       "mos_ovrl": _metric(2.9)}, {}),
                 tmp_path / "report-own")
    model = FolderReport("word", {"similarity_margin": _metric(0.1)}, {}, device="cuda:0",
                         clips=[ClipRow(id="s0", audio="s0.wav", text=text,
                                        transcript="the bat sat"),
                                ClipRow(id="s1", audio="s1.wav", text=text,
                                        problem="unreadable")])
    compare = dataclasses.replace(model, metrics={"real_time_factor": _metric(0.02)})
    write_text(tmp_path / "report" / "report.json", json.dumps(
        {"model": dataclasses.asdict(model), "compare": dataclasses.asdict(compare)}))
    found = measure(tmp_path)
    assert (found.codec_original_cer, found.codec_resynth_cer) == (0.0, 1 / 11)
    assert found.codec_similarity == 0.93 and found.own_margin == 0.15
    assert found.tuned_cer == 1 / 11  # one substituted character of eleven; s1 left out
    assert found.tuned_ovrl is None and "has no DNSMOS OVRL" in found.missing["tuned_ovrl"]
    assert found.base_rtf is None and "cuda:0" in found.missing["base_rtf"]


@pytest.fixture(scope="module")
def tiny_base(tts_corpus, tmp_path_factory):
    """A tts-tiny model trained a few steps on two espeak-ng voices, and its tiny codec: it
    speaks nothing intelligible, which the bars must then report as failed, not hide."""
    config = load_config(TTSTrainConfig, "tts-tiny", ["trainer.max_steps=4"])
    result = train_tts(tts_corpus / "packed", tmp_path_factory.mktemp("demo_base") / "run",
                       config, show_progress=False)
    return result.checkpoint, tts_corpus / "codec"


@pytest.mark.slow
def test_quick_demo_runs_every_stage_and_reports_the_bars(tiny_base, tmp_path, capsys):
    base, codec = tiny_base
    out = tmp_path / "demo"
    assert main(["-q", "demo", str(out), "--quick", "--minutes", "1.5", "--base", str(base),
                 "--codec", str(codec), "--num-workers", "1"]) == 0
    printed = capsys.readouterr().out
    voice = DemoPlan(out=out).voice
    stages = re.findall(r"^\$ voxtune (\S+(?: (?:tts|folder|codec))?)", printed, re.M)
    assert stages == ["demo-data", "demo-data", "demo-data", "prepare", "extract", "pack",
                      "train codec", "train tts", "merge", "eval tts", "eval folder",
                      "eval codec", "eval codec"]
    assert printed.count("--unit char") == 4  # every evaluation scores CER, as the bars do

    # every stage's output stays on disk
    assert list((out / "recordings" / "long").rglob("*.*"))
    assert list((out / "references" / "clips" / voice).glob("*.wav"))
    heldout = sorted((out / "heldout" / voice).glob("*.wav"))
    assert heldout and all(clip.with_suffix(".lab").is_file() for clip in heldout)
    assert list((out / "dataset" / voice).glob("*.npy"))
    assert list((out / "packed").iterdir())
    assert list((out / "finetune").glob("step_*"))
    assert list((out / "decoder").glob("step_*"))
    assert (out / "voice" / "model.safetensors").is_file()
    assert (out / "voice" / "codec" / "model.safetensors").is_file()  # the voice's decoder
    assert (out / "finetune" / "quality.jsonl").is_file() and (out / "clone.html").is_file()
    for report in ("report-own", "report"):
        assert (out / report / "report.json").is_file()
        assert (out / report / "report.html").is_file()
    codec_report = json.loads((out / "report-codec" / "report.json").read_text())
    voice_codec_report = json.loads((out / "report-voice-codec" / "report.json").read_text())
    assert voice_codec_report["codec"] == codec_report["codec"]  # the same tokens
    for report in ("report-codec", "report-voice-codec"):
        assert len(list((out / report / "resynth").rglob("*.wav"))) == len(heldout)
    assert list((out / "report" / "model" / voice).glob("*.wav"))
    assert list((out / "report" / "compare").rglob("*.wav"))

    # the bars: each one's value comes from a report, or it is honestly not measured
    bars = {bar["name"]: bar for bar in json.loads((out / "bars.json").read_text())["bars"]}
    assert list(bars) == BARS
    own_report = json.loads((out / "report-own" / "report.json").read_text())
    own = own_report["metrics"]
    tts = json.loads((out / "report" / "report.json").read_text())
    tuned, zero_shot = tts["model"]["metrics"], tts["compare"]["metrics"]
    unmeasurable = set()
    if "similarity_margin" not in tuned:  # no output of the tiny model had speech to embed
        unmeasurable |= {MARGIN, MARGIN_OWN, MARGIN_BASE}
    if "similarity_margin" not in zero_shot:
        unmeasurable.add(MARGIN_BASE)
    assert {name for name, bar in bars.items() if bar["status"] == "not measured"} \
        == unmeasurable
    for name, bar in bars.items():
        assert bar["status"] in ("pass", "FAIL", "not measured"), name
        assert (bar["value"] is None) == (name in unmeasurable), name
    assert codec_report["unit"] == "char" and own_report["unit"] == "char"
    assert bars[CODEC_CER]["value"] == pytest.approx(
        codec_report["metrics"]["error_rate_increase"]["mean"])
    assert bars[CODEC_SIMILARITY]["value"] == pytest.approx(
        codec_report["metrics"]["resynth_similarity"]["mean"])
    assert bars[VOICE_CODEC_SIMILARITY]["value"] == pytest.approx(
        voice_codec_report["metrics"]["resynth_similarity"]["mean"])
    assert bars[OVRL]["value"] == pytest.approx(tuned["mos_ovrl"]["mean"])
    assert bars[OVRL]["threshold"] == pytest.approx(own["mos_ovrl"]["mean"] - 0.3)
    assert bars[SPEED]["value"] == pytest.approx(zero_shot["real_time_factor"]["mean"])
    assert tts["compare"]["device"] == "cpu"
    assert bars[TUNED_CER]["status"] == "FAIL"  # a model trained 4 + 8 steps says nothing

    # the front page shows the bars and links every report; the output names it
    page = (out / "index.html").read_text()
    table = page[page.index("<table id='bars'>"):]
    table = table[:table.index("</table>")]
    assert all(html.escape(name) in table for name in BARS)
    links = re.findall(r"<a href='([^']+)'>", page)
    assert "report/report.html" in links and all((out / link).exists() for link in links)
    assert f"report: {out / 'index.html'}" in printed
    assert "quality bar" in printed and CODEC_CER in printed


@pytest.mark.slow
def test_quick_demo_in_mandarin_follows_the_language(tiny_base, tmp_path, capsys):
    """A natural-sounding Mandarin voice: recordings, preparation, test sentences and every
    score in Mandarin, judged by the Mandarin bars."""
    base, codec = tiny_base
    out = tmp_path / "demo-zh"
    assert main(["-q", "demo", str(out), "--quick", "--language", "zh", "--minutes", "1.5",
                 "--base", str(base), "--codec", str(codec), "--num-workers", "1"]) == 0
    printed = capsys.readouterr().out
    voice = DemoPlan(out=out, language="zh").voice
    assert voice.startswith("kokoro_zh_")
    assert re.search(r"^\$ voxtune prepare .* language=zh$", printed, re.M)
    assert printed.count("--language zh --unit char") == 4
    sentences = (out / "test_sentences.txt").read_text("utf-8").split()
    assert sentences and all(re.search(r"[\u4e00-\u9fff]", line) for line in sentences)
    references = json.loads((out / "others" / "speakers.json").read_text())
    assert {speaker["language"] for speaker in references} == {"zh"}
    manifest = [json.loads(line) for line in
                (out / "dataset" / "manifest.jsonl").read_text("utf-8").splitlines()]
    assert manifest and {record["language"] for record in manifest} == {"zh"}
    bars = {bar["name"]: bar for bar in json.loads((out / "bars.json").read_text())["bars"]}
    assert bars[TUNED_CER]["threshold"] == 0.10 and "(zh)" in bars[TUNED_CER]["rule"]


def test_a_voice_of_another_language_is_refused(tmp_path):
    with pytest.raises(InputError, match="speaks en, not zh"):
        DemoPlan(out=tmp_path, language="zh", voice="kokoro_en_h1")
