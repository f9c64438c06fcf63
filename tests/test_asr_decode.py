"""Decoding: the KV-cached search equals a plain recomputation, batches equal single clips."""

import numpy as np
import pytest
import torch

from tests.conftest import SENTENCES
from voxtune.asr.decode import DecodeOptions, Recognizer
from voxtune.asr.frontend import load_16k
from voxtune.asr.sequences import collate_features, collate_tokens


@pytest.fixture(scope="module")
def recognizer(asr_model):
    return Recognizer(asr_model.checkpoint, device="cpu")


@pytest.fixture(scope="module")
def clips(asr_corpus):
    return [load_16k(asr_corpus / "clips" / "spk" / f"s{i}.wav") for i in range(6)]


@torch.no_grad()
def greedy_without_cache(recognizer: Recognizer, clip: np.ndarray, limit: int) -> str:
    """Argmax decoding that re-reads the whole sequence at every step (no KV cache)."""
    loaded = recognizer.loaded
    model, meta = loaded.model, loaded.meta
    frames = loaded.frontend.frames(len(clip))
    features, lengths = collate_features([loaded.frontend(clip)], [frames])
    sequence = recognizer.chat.sequence(meta.system, meta.prompt, model.audio_positions(frames))
    tokens = collate_tokens([sequence], recognizer.chat.pad)
    embeds = model.embed(tokens["input_ids"], tokens["audio_mask"], features, lengths)
    table = model.llm.get_input_embeddings()
    answer: list[int] = []
    for _ in range(limit):
        token = int(model.llm(inputs_embeds=embeds).logits[0, -1].argmax())
        if token in recognizer.stop:
            break
        answer.append(token)
        embeds = torch.cat([embeds, table(torch.tensor([[token]]))], dim=1)
    return loaded.tokenizer.decode(answer, skip_special_tokens=True).strip()


def test_greedy_search_equals_argmax_over_the_whole_sequence(recognizer, clips):
    llm_only = DecodeOptions(beam_size=1, ctc_weight=0.0)
    cached = recognizer.transcribe(clips[:3], llm_only)
    assert cached == [greedy_without_cache(recognizer, clip, 120) for clip in clips[:3]]
    assert cached[0] == SENTENCES[0]


@pytest.mark.parametrize("ctc_weight", [0.0, 0.5])
def test_beam_search_of_width_one_is_greedy_and_wider_beams_agree(recognizer, clips,
                                                                  ctc_weight):
    greedy = recognizer.transcribe(clips, DecodeOptions(ctc_weight=ctc_weight))
    assert greedy == SENTENCES  # learned by heart
    for beam in (1, 3):
        options = DecodeOptions(beam_size=beam, ctc_weight=ctc_weight)
        assert recognizer.transcribe(clips, options) == greedy


def test_batched_decoding_equals_one_clip_at_a_time(recognizer, clips):
    together = recognizer.transcribe(clips, DecodeOptions(batch_size=6, beam_size=2))
    alone = [recognizer.transcribe([clip], DecodeOptions(batch_size=1, beam_size=2))[0]
             for clip in clips]
    assert together == alone


def test_ctc_prefix_scores_add_up_to_the_ctc_probability_of_the_transcript():
    """Scoring a hypothesis token by token, then its end, gives log P_ctc(transcript):
    what torch's CTC loss computes, for clips of different lengths in one batch."""
    from voxtune.asr.ctc_prefix import CTCPrefixScorer

    torch.manual_seed(0)
    log_probs = torch.randn(2, 12, 6).log_softmax(-1)  # 5 tokens and the blank
    lengths, stop = torch.tensor([12, 9]), 4
    scorer = CTCPrefixScorer(log_probs, lengths, weight=1.0, stop=[stop], beams=1)
    transcripts = [[1, 2, 2, 3], [3, 3, 1]]
    totals = [0.0, 0.0]
    ids = torch.zeros((2, 0), dtype=torch.long)
    for step in range(5):
        scores = scorer(ids, torch.zeros(2, 5))
        chosen = [t[step] if step < len(t) else stop for t in transcripts]
        for row, transcript in enumerate(transcripts):
            if step <= len(transcript):
                totals[row] += float(scores[row, chosen[row]])
        ids = torch.cat([ids, torch.tensor([chosen]).T], dim=1)
    for row, transcript in enumerate(transcripts):
        n = int(lengths[row])
        expected = -torch.nn.functional.ctc_loss(
            log_probs[row:row + 1, :n].transpose(0, 1), torch.tensor([transcript]),
            torch.tensor([n]), torch.tensor([len(transcript)]), blank=5, reduction="sum")
        assert totals[row] == pytest.approx(float(expected), abs=1e-4)


def test_silence_and_slivers_give_empty_transcripts(recognizer, clips):
    texts = recognizer.transcribe([np.zeros(100, dtype=np.float32), clips[1]])
    assert texts[0] == "" and texts[1] == SENTENCES[1]


def test_a_clip_too_long_for_the_model_is_refused(recognizer):
    from voxtune.errors import InputError

    with pytest.raises(InputError, match="longer than this model reads"):
        recognizer.transcribe([np.zeros(16000 * 600, dtype=np.float32)])
