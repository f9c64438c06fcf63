"""`voxtune eval codec`: a transparent codec keeps voice and words, an untrained one loses
both; the resynthesis and the report are written; bad clips are named and skipped."""

import json

import pytest
import soundfile as sf
import torch

from tests.conftest import SENTENCES, tree_hashes
from voxtune.cli import main
from voxtune.codec.voxcodec import CodecTrainConfig, VoxCodec, VoxCodecModel
from voxtune.config import load_config
from voxtune.errors import InputError
from voxtune.eval.codec import evaluate_codec

VOICE = "en-us+m3"


class PCM16Codec:
    """16-bit linear PCM at 16 kHz, one code per sample: the codec inside a WAV file, as
    near to the identity as a codec gets, so it shows what a perfect codec scores."""

    codec_id = "pcm16:16k"
    sample_rate = 16000
    frame_rate = 16000.0
    num_codebooks = 1
    codebook_size = 65536

    def frames_for(self, num_samples: int) -> int:
        return num_samples

    def encode(self, wavs: torch.Tensor, lengths: torch.Tensor):
        levels = self.codebook_size - 1
        return ((wavs.clamp(-1.0, 1.0) + 1) / 2 * levels).round().long()[:, None, :], lengths

    def decode(self, codes: torch.Tensor, lengths: torch.Tensor):
        return codes[:, 0].float() / (self.codebook_size - 1) * 2 - 1, lengths


@pytest.fixture(scope="module")
def clips(espeak, tmp_path_factory):
    """Two espeak-ng sentences of one voice: DATA/spk/cN.wav + cN.lab."""
    root = tmp_path_factory.mktemp("codec_eval") / "data"
    (root / "spk").mkdir(parents=True)
    for number, text in enumerate(SENTENCES[:2]):
        samples, rate = espeak(text, voice=VOICE)
        sf.write(root / "spk" / f"c{number}.wav", samples, rate)
        (root / "spk" / f"c{number}.lab").write_text(text)
    return root


@pytest.fixture(scope="module")
def untrained(tmp_path_factory):
    """A codec-tiny VoxCodec folder with random weights: it has learned nothing."""
    folder = tmp_path_factory.mktemp("untrained") / "codec"
    torch.manual_seed(0)
    VoxCodec(VoxCodecModel(load_config(CodecTrainConfig, "codec-tiny").model)
             ).save_pretrained(folder)
    return folder


def test_a_transparent_codec_keeps_the_voice_and_the_words(clips, tmp_path):
    report = evaluate_codec(clips, PCM16Codec(), tmp_path / "out", show_progress=False)
    assert report.codec == "pcm16:16k" and report.num_clips == 2 and report.num_skipped == 0
    assert report.metrics["resynth_similarity_min"].mean > 0.99
    assert report.metrics["error_rate_increase"].mean == pytest.approx(0.0, abs=0.05)
    assert report.metrics["original_error_rate"].mean < 0.3  # Whisper understands espeak-ng


def test_an_untrained_codec_loses_the_voice_and_the_words(clips, untrained, tmp_path):
    report = evaluate_codec(clips, str(untrained), tmp_path / "out", device="cpu",
                            unit="char", show_progress=False)
    assert report.codec.startswith("voxcodec:") and report.num_clips == 2
    assert report.unit == "char"  # CER forced, though the text is English
    assert report.metrics["resynth_similarity"].mean < 0.5
    assert report.metrics["error_rate_increase"].mean > 0.5
    # its output is noise in which the embedder finds no speech: counted, and said why
    assert report.no_speech == sum(row.note is not None for row in report.clips)


def test_cli_writes_the_resynthesis_beside_its_transcript_and_the_report(clips, tmp_path,
                                                                         capsys):
    out = tmp_path / "out"
    assert main(["-q", "eval", "codec", str(clips), "--codec", "vox-base", "--out", str(out),
                 "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert f"report: {out / 'report.json'}" in printed and "similarity" in printed
    for number, text in enumerate(SENTENCES[:2]):
        resynth = out / "resynth" / "spk" / f"c{number}.wav"
        original = sf.info(clips / "spk" / f"c{number}.wav")
        assert sf.info(resynth).samplerate == 16000
        assert sf.info(resynth).duration == pytest.approx(original.duration, abs=1e-3)
        assert (resynth.with_suffix(".lab")).read_text().strip() == text
    report = json.loads((out / "report.json").read_text())
    assert report["codec_source"] == "vox-base" and report["num_clips"] == 2
    assert set(report["metrics"]) == {"original_error_rate", "resynth_error_rate",
                                      "error_rate_increase", "resynth_similarity",
                                      "resynth_similarity_min"}
    assert set(report["speakers"]) == {"spk"}
    row = report["clips"][0]
    assert {"file", "text", "original_transcript", "original_error_rate",
            "resynth_transcript", "resynth_error_rate", "similarity"} <= set(row)
    assert report["metrics"]["resynth_similarity"]["mean"] > 0.8  # the shipped codec


def test_bad_clips_are_named_and_skipped_and_the_input_is_left_alone(
        espeak, untrained, tmp_path, capsys):
    data = tmp_path / "data"
    (data / "spk").mkdir(parents=True)
    samples, rate = espeak(SENTENCES[0], voice=VOICE)
    sf.write(data / "spk" / "good.wav", samples, rate)
    (data / "spk" / "good.lab").write_text(SENTENCES[0])
    (data / "spk" / "broken.wav").write_bytes(b"RIFF not really audio")
    (data / "spk" / "broken.lab").write_text("nothing")
    sf.write(data / "spk" / "unlabelled.wav", samples, rate)
    before = tree_hashes(data)
    out = tmp_path / "out"
    assert main(["-q", "eval", "codec", str(data), "--codec", str(untrained), "--out",
                 str(out), "--device", "cpu"]) == 0
    printed = capsys.readouterr().out
    assert "skipped spk/broken: " in printed and "broken.wav" in printed
    assert "skipped spk/unlabelled: " in printed and "no transcript" in printed
    report = json.loads((out / "report.json").read_text())
    assert report["num_clips"] == 1 and report["num_skipped"] == 2
    assert [row["id"] for row in report["clips"] if row["problem"]] == ["spk/broken",
                                                                        "spk/unlabelled"]
    assert tree_hashes(data) == before
    assert sorted(p.name for p in (out / "resynth" / "spk").iterdir()) == ["good.lab",
                                                                          "good.wav"]


def test_an_output_folder_inside_the_data_is_refused(clips):
    before = tree_hashes(clips)
    with pytest.raises(InputError, match="overlap"):
        evaluate_codec(clips, PCM16Codec(), clips / "eval", show_progress=False)
    assert tree_hashes(clips) == before
