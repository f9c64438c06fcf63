"""Recognizer data: ChatML validation, task prompts, features, token sequences, batching."""

import json

import numpy as np
import pytest
import torch

from tests.conftest import SENTENCES
from voxtune.asr.batches import FrameBatches
from voxtune.asr.config import SpecAugmentConf
from voxtune.asr.data import read_examples
from voxtune.asr.frontend import KaldiFbank, load_16k
from voxtune.asr.model import IGNORE
from voxtune.asr.prompts import TaskPrompt, parse_prompt, restyle
from voxtune.asr.sequences import ChatEncoder, collate_tokens
from voxtune.asr.tokenizer import char_tokenizer
from voxtune.data.layouts.lengths import fbank_frames, sample_count

FBANK = KaldiFbank()


def _line(key, audio, text, speech_length=None, prompt="语音转写："):
    record = {"key": key, "messages": [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": f"{prompt}<|startofspeech|>!{audio}<|endofspeech|>"},
        {"role": "assistant", "content": text}]}
    if speech_length is not None:
        record["speech_length"] = speech_length
    return json.dumps(record, ensure_ascii=False)


def test_chatml_problems_are_set_aside_by_line_and_the_rest_is_read(asr_corpus, tmp_path):
    clip = asr_corpus / "clips" / "spk" / "s0.wav"
    frames = fbank_frames(*sample_count(clip))
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join([
        _line("good", clip, SENTENCES[0], speech_length=frames),
        _line("near", clip, SENTENCES[0], speech_length=frames + 3),  # another convention
        _line("gone", tmp_path / "missing.wav", "missing audio", speech_length=100),
        _line("wrong", clip, SENTENCES[0], speech_length=frames // 2),
        '{"key": "broken", "messages": [',
        _line("english", clip, SENTENCES[0], prompt="Speech transcription: "),
    ]) + "\n", encoding="utf-8")
    examples, rejects = read_examples(path, FBANK, max_frames=10000, prompt="语音转写：")
    assert [e.id for e in examples] == ["good", "near", "english"]
    assert examples[2].prompt == "Speech transcription: "
    messages = {r.reason: r.message for r in rejects}
    assert set(messages) == {"missing_audio", "speech_length_mismatch", "bad_json"}
    assert "train.jsonl line 3" in messages["missing_audio"]
    assert "train.jsonl line 4" in messages["speech_length_mismatch"]
    assert f"speech_length {frames // 2} but" in messages["speech_length_mismatch"]
    assert "train.jsonl line 5: not valid JSON" in messages["bad_json"]


def test_clips_longer_than_a_batch_are_set_aside(asr_corpus):
    examples, rejects = read_examples(asr_corpus / "clips", FBANK, max_frames=390, prompt="p")
    assert rejects and all(r.reason == "too_long" for r in rejects)
    assert "data.max_frames=390" in rejects[0].message
    assert all(FBANK.frames(e.samples) <= 390 for e in examples)
    assert all(e.prompt == "p" for e in examples)  # folders carry no prompt of their own


@pytest.mark.parametrize("prompt, task", [
    ("语音转写：", TaskPrompt()),
    ("语音转写成英文：", TaskPrompt(language="en")),
    ("语音转写，不进行文本规整：", TaskPrompt(itn=False)),
    ("语音转写成中文，不进行文本规整：", TaskPrompt(language="zh", itn=False)),
    ("Speech transcription: ", TaskPrompt(style="en")),
    ("Speech transcription in English, no text normalization: ",
     TaskPrompt(language="en", itn=False, style="en")),
])
def test_task_prompt_variants_are_recognised_and_written_back(prompt, task):
    assert parse_prompt(prompt) == task
    assert task.text() == prompt


def test_decoding_asks_in_the_wording_the_model_learned():
    assert parse_prompt("Transcribe this, please:") is None
    assert restyle("语音转写：", language="en") == "语音转写成英文："
    assert restyle("Speech transcription: ", itn=False) == \
        "Speech transcription, no text normalization: "
    assert restyle("Transcribe this, please:", language="en") == "Transcribe this, please:"


def test_fbank_has_one_frame_per_10_ms_as_speech_length_counts(asr_corpus):
    clip = asr_corpus / "clips" / "spk" / "s1.wav"
    samples = load_16k(clip)
    features = FBANK(samples)
    assert features.shape == (fbank_frames(len(samples), 16000), 80)
    assert abs(len(features) - fbank_frames(*sample_count(clip))) <= 2
    assert np.allclose(features.mean(axis=0), 0, atol=1e-4)  # per-clip normalised
    quieter = FBANK(samples * 0.25)  # 12 dB down: only the floor under digital silence moves
    assert np.abs(quieter - features).mean() < 0.05 * np.abs(features).mean()


def test_loss_is_on_the_answer_and_its_end_only():
    tokenizer = char_tokenizer(["hello"])
    chat = ChatEncoder(tokenizer)
    seq = chat.sequence("sys", "语音转写：", audio_count=5, text="hello")
    labelled = seq.labels != IGNORE
    assert tokenizer.decode(seq.labels[labelled]) == "hello<|im_end|>"
    # each label is the next input token
    assert (seq.labels[:-1][labelled[:-1]] == seq.ids[1:][labelled[:-1]]).all()
    assert tokenizer.decode(seq.ids[:seq.audio_start]).endswith("语音转写：<|startofspeech|>")
    assert tokenizer.decode(seq.ids[seq.audio_start + 5:][:1]) == "<|endofspeech|>"
    batch = collate_tokens([seq, chat.sequence("sys", "p", 2)], chat.pad, left=True)
    assert batch["audio_mask"].sum(1).tolist() == [5, 2]
    assert batch["attention_mask"][1, 0] == 0 and batch["attention_mask"][1, -1] == 1


def _stream(examples, **kwargs):
    chat = ChatEncoder(char_tokenizer(e.text for e in examples))
    return FrameBatches(examples, FBANK, chat, positions=lambda n: (n + 7) // 8,
                        max_frames=1200, bucket_size=4, seed=3, **kwargs)


def test_batches_stay_under_the_frame_budget_and_resume_mid_epoch(asr_corpus):
    examples, _ = read_examples(asr_corpus / "clips", FBANK, max_frames=1200, prompt="p")
    stream = _stream(examples, augment=SpecAugmentConf(enabled=True))
    epoch = stream.plan(0)
    assert sorted(i for batch in epoch for i in batch) == list(range(len(examples)))
    for batch in epoch:
        assert len(batch) * max(FBANK.frames(examples[i].samples) for i in batch) <= 1200
    straight = [b for _ in range(2) for b in stream]
    resumed = _stream(examples, augment=SpecAugmentConf(enabled=True))
    first = iter(resumed)
    next(first)
    state = resumed.state_dict()
    again = _stream(examples, augment=SpecAugmentConf(enabled=True))
    again.load_state_dict(state)
    rest = list(again) + list(again)
    assert len(rest) == len(straight) - 1
    for ours, theirs in zip(rest, straight[1:], strict=True):
        assert all(torch.equal(ours[k], theirs[k]) for k in theirs)


def test_worker_processes_give_the_same_batches(asr_corpus):
    examples, _ = read_examples(asr_corpus / "clips", FBANK, max_frames=1200, prompt="p")
    inline = list(_stream(examples))
    workers = list(_stream(examples, num_workers=2))
    for ours, theirs in zip(workers, inline, strict=True):
        assert all(torch.equal(ours[k], theirs[k]) for k in theirs)


def test_ranks_share_out_the_clips(asr_corpus):
    examples, _ = read_examples(asr_corpus / "clips", FBANK, max_frames=1200, prompt="p")
    ranks = [{i for batch in _stream(examples, rank=r, world_size=2).plan(0) for i in batch}
             for r in (0, 1)]
    assert not ranks[0] & ranks[1] and ranks[0] | ranks[1] == set(range(len(examples)))


@pytest.mark.parametrize("preset", ["asr", "asr-tiny", "asr-finetune", "asr-lora"])
def test_shipped_presets_load(preset):
    from voxtune.asr.config import ASRTrainConfig
    from voxtune.config import load_config

    config = load_config(ASRTrainConfig, preset)
    assert config.data.max_frames > 0 and config.trainer.max_steps > 0
    if preset == "asr-finetune":
        assert config.llm_conf.freeze and not config.audio_encoder_conf.freeze
    if preset == "asr-lora":
        assert config.llm_conf.use_lora and config.llm_conf.lora_conf.r == 16
