"""VoxTTS: a tiny LM learns espeak-ng sentences' codec tokens, speaks them back, and its LoRA
adapters merge into a model with the same logits."""

import shutil
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from tests.conftest import SENTENCES
from voxtune.audio.io import resample
from voxtune.codec import load_codec
from voxtune.codec.extract import extract
from voxtune.codec.voxcodec import CodecTrainConfig, VoxCodec, VoxCodecModel
from voxtune.codec.voxcodec.train import train_codec
from voxtune.config import load_config
from voxtune.data.packed import PackedDataset, pack
from voxtune.errors import InputError
from voxtune.text import prepare_text
from voxtune.train.logs import read_run_log
from voxtune.tts.checkpoint import load_tts, read_meta
from voxtune.tts.config import TTSTrainConfig
from voxtune.tts.generate import SamplingConfig, generate
from voxtune.tts.layout import TokenLayout, delay, undelay
from voxtune.tts.merge import merge
from voxtune.tts.synthesize import Synthesizer, synthesize
from voxtune.tts.train import train_tts


def tiny(*overrides: str) -> TTSTrainConfig:
    return load_config(TTSTrainConfig, "tts-tiny", list(overrides))


@pytest.fixture(scope="module")
def base(tts_corpus):
    """A tiny VoxTTS trained from scratch until it knows the twelve sentences by heart."""
    config = tiny("trainer.max_steps=300", "trainer.save_every=150", "data.max_sentences=1",
                  "data.speaker_token_rate=1.0")
    return train_tts(tts_corpus / "packed", tts_corpus / "base", config,
                     show_progress=False)


def test_delay_pattern_round_trips_and_ends_each_codebook_once():
    layout = TokenLayout(text_vocab=10, num_codebooks=3, codebook_size=7)
    codes = np.arange(12).reshape(3, 4) % 7
    steps = delay(codes, layout)
    assert steps.shape == (4 + 3, 3)
    assert [int(np.sum(steps[:, k] == layout.eos)) for k in range(3)] == [1, 1, 1]
    assert steps[0, 1] == steps[0, 2] == steps[1, 2] == layout.pad
    assert np.array_equal(undelay(steps, layout), codes)


def test_training_loss_falls_and_the_model_recites_its_sentences(base, tts_corpus):
    log = [row for row in read_run_log(tts_corpus / "base") if "train/loss" in row]
    assert log[-1]["train/loss"] < 0.3 * log[0]["train/loss"]
    model, meta, tokenizer = load_tts(base.checkpoint)
    assert meta.layout.speakers == ["anna", "ben"]
    dataset = PackedDataset(tts_corpus / "packed")
    record = dataset.record(0)
    sentence = record.sentences[0]
    prompt = np.full((1, meta.layout.num_codebooks), -1)
    prompt[0, 0] = meta.layout.speaker_id(record.speaker)
    text = prepare_text(sentence.text, "en", tokenizer) + [meta.layout.audio_start]
    grid = np.full((len(text), meta.layout.num_codebooks), -1)
    grid[:, 0] = text
    codes = generate(model, [np.concatenate([prompt, grid])],
                     SamplingConfig(temperature=0, repetition_penalty=1.0, max_frames=400))[0]
    truth = np.array([list(s.values) for s in sentence.semantics])
    frames = min(truth.shape[1], codes.shape[1])
    assert abs(codes.shape[1] - truth.shape[1]) <= 3
    assert np.mean(codes[:, :frames] == truth[:, :frames]) > 0.8


def test_synthesize_speaks_in_a_learned_voice_and_clones_a_reference(base, tts_corpus, tmp_path):
    sampling = SamplingConfig(seed=1, max_frames=200)
    result = synthesize(base.checkpoint, SENTENCES[0] + " " + SENTENCES[1], tmp_path / "a.flac",
                        speaker="ben", codec=str(tts_corpus / "codec"), sampling=sampling,
                        split="en_period", device="cpu")
    audio, rate = sf.read(tmp_path / "a.flac")
    assert rate == 16000 and len(result.pieces) == 2 and len(audio) / rate == \
        pytest.approx(result.seconds, abs=0.01)
    assert result.seconds > 1.0 and np.abs(audio).max() > 0
    clone = synthesize(base.checkpoint, SENTENCES[2], tmp_path / "b.wav",
                       ref_audio=tts_corpus / "data" / "anna" / "s3.wav", ref_text=SENTENCES[3],
                       codec=str(tts_corpus / "codec"), sampling=sampling, device="cpu")
    # the tiny model clones a few frames of speech at least (how many depends on sampling)
    cloned, _ = sf.read(tmp_path / "b.wav")
    assert clone.seconds > 0.2 and np.abs(cloned).max() > 0
    with pytest.raises(InputError, match="it knows anna, ben"):
        synthesize(base.checkpoint, "Hello.", tmp_path / "c.wav", speaker="carl",
                   codec=str(tts_corpus / "codec"))
    with pytest.raises(InputError, match="--ref-text"):
        synthesize(base.checkpoint, "Hello.", tmp_path / "c.wav",
                   codec=str(tts_corpus / "codec"),
                   ref_audio=tts_corpus / "data" / "anna" / "s3.wav")


def test_lora_trains_only_adapters_and_merges_to_the_same_logits(base, tts_corpus, tmp_path):
    config = tiny(f"backbone.pretrained={base.checkpoint}", "lora.enabled=true",
                  "trainer.max_steps=10", "trainer.optim.lr=0.01")
    adapted = train_tts(tts_corpus / "packed", tmp_path / "lora", config, show_progress=False)
    assert (adapted.checkpoint / "adapter_model.safetensors").is_file()
    assert not (adapted.checkpoint / "model.safetensors").exists()
    before, _, _ = load_tts(base.checkpoint)
    lora_model, _, _ = load_tts(adapted.checkpoint)
    base_weights = before.lm.state_dict()
    for name, tensor in lora_model.lm.named_parameters():
        if "lora_" in name:
            continue
        plain = name.replace("base_model.model.", "").replace(".base_layer", "")
        assert torch.equal(tensor, base_weights[plain]), name
    assert any(("lora_B" in n and t.abs().sum() > 0) for n, t in lora_model.lm.named_parameters())

    merged_path = merge(adapted.checkpoint, tmp_path / "merged")
    merged, _, _ = load_tts(merged_path)
    assert not (merged_path / "adapter_config.json").exists()
    codes = np.array([list(v.values) for v in PackedDataset(tts_corpus / "packed").record(0)
                      .sentences[0].semantics])
    grid = torch.from_numpy(merged.layout.audio_ids(delay(codes, merged.layout)))[None]
    with torch.no_grad():
        assert torch.allclose(merged(grid), lora_model(grid), atol=1e-4)
        assert not torch.allclose(merged(grid), before(grid), atol=1e-3)


def test_merge_carries_the_voices_own_decoder_and_synthesis_decodes_through_it(
        base, tts_corpus, tmp_path):
    lora = train_tts(tts_corpus / "packed", tmp_path / "lora",
                     tiny(f"backbone.pretrained={base.checkpoint}", "lora.enabled=true",
                          "trainer.max_steps=2"), show_progress=False)
    decoder = train_codec(tts_corpus / "data", tmp_path / "decoder", load_config(
        CodecTrainConfig, "codec-tiny", [f"init_from={tts_corpus / 'codec'}",
                                         "freeze_encoder=true", "loss.gan_start_step=null",
                                         "trainer.max_steps=3", "trainer.optim.lr=0.01",
                                         "data.speakers=[ben]"]), show_progress=False)
    merged = merge(lora.checkpoint, tmp_path / "merged", codec=decoder.checkpoint)
    assert read_meta(merged).codec.path == "codec"
    assert sorted(p.name for p in (merged / "codec").iterdir()) == [
        "config.yaml", "model.safetensors"]
    voice = Path(shutil.move(merged, tmp_path / "elsewhere"))  # the folder is the whole voice
    synthesizer = Synthesizer(voice, device="cpu")
    codes = torch.randint(0, 10, (1, synthesizer.codec.num_codebooks, 6))
    lengths = torch.tensor([6])
    heard = synthesizer.codec.decode(codes, lengths)[0]
    assert torch.equal(heard, load_codec(str(decoder.checkpoint)).decode(codes, lengths)[0])
    assert not torch.equal(heard, load_codec(str(tts_corpus / "codec")).decode(codes, lengths)[0])
    assert synthesizer.speak(SENTENCES[0], tmp_path / "s.wav", speaker="ben").seconds > 0


def test_merge_refuses_a_decoder_of_another_codec(base, tts_corpus, tmp_path):
    lora = train_tts(tts_corpus / "packed", tmp_path / "lora",
                     tiny(f"backbone.pretrained={base.checkpoint}", "lora.enabled=true",
                          "trainer.max_steps=1"), show_progress=False)
    torch.manual_seed(5)
    VoxCodec(VoxCodecModel(load_config(CodecTrainConfig, "codec-tiny").model)
             ).save_pretrained(tmp_path / "other")
    with pytest.raises(InputError, match="other is voxcodec:.*but the model speaks voxcodec:"):
        merge(lora.checkpoint, tmp_path / "merged", codec=tmp_path / "other")
    with pytest.raises(InputError, match="not a VoxCodec folder"):
        merge(lora.checkpoint, tmp_path / "merged", codec=tts_corpus / "data")
    assert not (tmp_path / "merged").exists()


def test_a_model_refuses_tokens_of_another_codec(base, tts_corpus, tmp_path):
    other = tmp_path / "other"
    shutil.copytree(tts_corpus / "data", other / "data")
    for npy in (other / "data").rglob("*.npy"):
        npy.unlink()
    (other / "data" / "codes.json").unlink()
    torch.manual_seed(5)
    VoxCodec(VoxCodecModel(load_config(CodecTrainConfig, "codec-tiny").model)
             ).save_pretrained(other / "codec")
    extract(other / "data", str(other / "codec"), num_workers=0, show_progress=False)
    pack(other / "data", other / "packed", show_progress=False)
    config = tiny(f"backbone.pretrained={base.checkpoint}", "trainer.max_steps=2")
    with pytest.raises(InputError, match="packed with codec voxcodec:"):
        train_tts(other / "packed", tmp_path / "run", config, show_progress=False)


def test_static_cache_decoding_equals_dynamic_cache_decoding(base, monkeypatch):
    """The compiled path (fused decoder, static cache, full-length mask), run eagerly on the CPU."""
    model, meta, _ = load_tts(base.checkpoint)
    k = meta.layout.num_codebooks
    long_prompt = np.full((7, k), -1)
    long_prompt[:, 0] = [meta.layout.speaker_id("anna"), 5, 6, 7, 8, 9,
                         meta.layout.audio_start]
    short_prompt = long_prompt[3:]
    greedy = SamplingConfig(temperature=0, max_frames=30)
    dynamic = generate(model, [long_prompt, short_prompt], greedy)
    monkeypatch.setattr(torch, "compile", lambda step, **_: step)
    static = generate(model, [long_prompt, short_prompt], greedy, compile=True)
    again = generate(model, [long_prompt, short_prompt], greedy, compile=True)  # cache reused
    for a, b, c in zip(dynamic, static, again, strict=True):
        assert np.array_equal(a, b) and np.array_equal(b, c)


class UntrimmedResemblyzer:
    """resemblyzer's encoder on the whole signal. The tiny untrained codec makes noise that
    resemblyzer's voice-activity trimming may drop entirely; a test of the report's
    structure should not hang on that."""

    def __init__(self) -> None:
        from resemblyzer import VoiceEncoder

        self.encoder = VoiceEncoder(device="cpu", verbose=False)

    def embed(self, audio: np.ndarray, rate: int) -> np.ndarray:
        return self.encoder.embed_utterance(resample(audio.astype(np.float32), rate, 16000))


def test_eval_tts_synthesizes_scores_and_compares(base, tts_corpus, tmp_path, capsys,
                                                  monkeypatch):
    import json

    from voxtune.cli import main
    from voxtune.eval import folder

    embedder = UntrimmedResemblyzer()
    monkeypatch.setattr(folder, "load_embedder", lambda name="resemblyzer": embedder)
    # voices embedded the untrimmed way stay in this test: a cache of its own
    monkeypatch.setattr(folder, "_voice_of", lru_cache(maxsize=64)(folder._voice_of.__wrapped__))

    sentences = tmp_path / "sentences.txt"
    sentences.write_text(f"{SENTENCES[4]}\n\n{SENTENCES[5]}\n")
    out = tmp_path / "eval"
    prompt = tts_corpus / "data" / "ben" / "s1.wav"
    assert main(["-q", "eval", "tts", "--model", str(base.checkpoint), "--compare",
                 str(base.checkpoint), "--compare-ref-audio", str(prompt),
                 "--compare-ref-text", SENTENCES[1], "--sentences", str(sentences),
                 "--speaker", "ben", "--refs", str(tts_corpus / "data" / "ben"),
                 "--others", str(tts_corpus / "data"), "--codec", str(tts_corpus / "codec"),
                 "--compare-codec", str(tts_corpus / "codec"),
                 "--device", "cpu", "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    assert set(report) == {"model", "compare"}
    for side in report.values():
        assert side["metrics"]["real_time_factor"]["count"] == 2
        assert "real_time_factor" in side["gates"] and side["device"] == "cpu"
        assert len(side["clips"]) == 2
        assert side["closest_voice"] == "anna" and "similarity_margin" in side["metrics"]
    assert (out / "compare" / "voice" / "s000.wav").is_file()  # cloned from the prompt
    assert sorted(p.name for p in (out / "model" / "ben").iterdir()) == [
        "s000.lab", "s000.wav", "s001.lab", "s001.wav"]
    assert "compare: gate" in capsys.readouterr().out
    page = (out / "report.html").read_text()
    side = page[page.index("<table id='side-by-side'>"):]
    side = side[:side.index("</table>")]
    assert side.count("<tr><td>ben/s00") == 2 and side.count("<audio controls") == 4


def test_compiled_blocks_trace_once_for_every_layer_and_keep_the_weights_names():
    """A recompilation per layer (say, from a KV cache in the training forward pass) would
    exhaust the compiler's cache and leave most layers uncompiled."""
    from voxtune.train.blocks import compile_blocks, transformer_blocks
    from voxtune.tts.config import BackboneConfig
    from voxtune.tts.model import VoxTTS, build_lm

    torch.manual_seed(0)
    layout = TokenLayout(text_vocab=50, num_codebooks=3, codebook_size=20)
    backbone = BackboneConfig(hidden_size=32, layers=12, heads=2, kv_heads=1,
                              intermediate_size=64)
    model = VoxTTS(build_lm(backbone, layout.vocab_size), layout)
    tokens = torch.randint(0, 50, (2, 9, 3))
    eager = model(tokens)
    names = set(model.state_dict())
    assert len(transformer_blocks(model)) == 12
    compile_blocks(model, backend="eager")
    torch._dynamo.reset()
    with torch._dynamo.config.patch(error_on_recompile=True):
        compiled = model(tokens)
        compiled.sum().backward()
    assert set(model.state_dict()) == names
    assert torch.allclose(eager, compiled, atol=1e-5)


def test_a_model_on_shipped_codec_tokens_finds_that_codec_by_itself():
    from types import SimpleNamespace

    from voxtune.codec import load_codec
    from voxtune.tts.synthesize import _load_matching_codec

    shipped = load_codec("vox-base", "cpu").codec_id
    meta = SimpleNamespace(codec=SimpleNamespace(id=shipped, path=None))
    assert _load_matching_codec(None, meta, "cpu").codec_id == shipped
    meta.codec.id = "voxcodec:000000000000"
    with pytest.raises(InputError, match="say where it is with --codec"):
        _load_matching_codec(None, meta, "cpu")


def test_undelay_keeps_only_frames_every_codebook_reached():
    layout = TokenLayout(text_vocab=4, num_codebooks=3, codebook_size=8)
    steps = delay(np.arange(15).reshape(3, 5) % 8, layout)[:6]  # cut before codebooks 1, 2 end
    steps[5, 0] = layout.eos  # codebook 0 ended late, after the last complete frame
    codes = undelay(steps, layout)
    assert codes.shape == (3, 4)
    assert np.array_equal(codes, (np.arange(15).reshape(3, 5) % 8)[:, :4])


def test_an_ordinary_english_sentence_is_spoken_as_one_piece(base, tts_corpus, tmp_path):
    assert len(SENTENCES[1]) > 50  # GPT-SoVITS's cut2 length would cut it in two
    result = synthesize(base.checkpoint, SENTENCES[1], tmp_path / "one.wav", speaker="ben",
                        codec=str(tts_corpus / "codec"),
                        sampling=SamplingConfig(seed=1, max_frames=100), device="cpu")
    assert result.pieces == [SENTENCES[1]]
