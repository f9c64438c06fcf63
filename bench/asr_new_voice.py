"""Measurement: a small recognizer learns several demo voices, then adapts to a new one.

1. `voxtune demo-data` speaks labelled clips in `--voices` + 1 voices (espeak-ng and flite);
   the last voice is the new one.
2. Held-out sentences: shipped demo sentences that none of those clips says, spoken by
   every voice: `--test-sentences` for testing (OUT/test/VOICE/NNNN.wav + .lab) and
   `--valid-sentences` others for choosing the decoding weight (OUT/valid/VOICE/).
3. A recognizer is trained from scratch on the clips of the first `--voices` voices
   (converted to Fun-ASR ChatML with `voxtune convert`), `--steps` steps, with a CTC head.
4. The CTC weight of joint decoding is chosen among `WEIGHTS` by CER on the known voices'
   validation sentences (never on the test set).
5. CER on every voice's test sentences, with that weight and with the LLM alone (weight 0).
6. The model is fine-tuned on the new voice's clips (preset asr-finetune: encoder and
   adaptor train, the LLM stays fixed) for `--finetune-steps` steps, and every voice is
   scored again on the same test set, both ways.

    python bench/asr_new_voice.py --out /tmp/asr_voices
    python bench/asr_new_voice.py --out /tmp/asr_voices --steps 3000 trainer.device=cuda

Extra `key=value` arguments override the base model's config (asr-tiny plus SMALL below).
Training checkpoints every 200 steps, so an interrupted run continues where it stopped
when started again with the same arguments. Prints the CERs as JSON and writes them to
OUT/results.json; docs/asr.md has a CPU run.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np

from voxtune.asr.config import ASRTrainConfig
from voxtune.asr.decode import DecodeOptions
from voxtune.asr.train import train_asr
from voxtune.audio.io import write_audio
from voxtune.config import load_config
from voxtune.data.convert import convert
from voxtune.demo import demo_data
from voxtune.demo.speech import sentences
from voxtune.demo.synth import synthesize
from voxtune.demo.voices import voices
from voxtune.eval.asr import evaluate_asr

# A model between asr-tiny and asr: about 2.0 M parameters, ~90 s of audio per second of
# training on two CPU cores.
SMALL = ["audio_encoder_conf.hidden_size=128", "audio_encoder_conf.layers=4",
         "audio_encoder_conf.heads=4", "audio_encoder_conf.ffn_size=512",
         "audio_encoder_conf.dropout=0.1", "audio_adaptor_conf.ffn_dim=256",
         "llm_conf.hidden_size=128", "llm_conf.layers=4", "llm_conf.heads=4",
         "llm_conf.kv_heads=2", "llm_conf.intermediate_size=384",
         "data.spec_augment.enabled=true", "trainer.log_every=50"]
PAD_SECONDS = 0.2  # silence around each test sentence, as demo clips have
WEIGHTS = (0.0, 0.3, 0.5, 0.7, 0.9)  # CTC weights of joint decoding to choose from


def main() -> None:
    args = parse_args()
    out = Path(args.out)
    started = time.perf_counter()
    roster = voices(args.voices + 1, include_mandarin=False)
    known, new = [v.name for v in roster[:-1]], roster[-1].name
    corpus = demo_data(out / "corpus", speakers=args.voices + 1, minutes=args.minutes,
                       mandarin=False, long=False, show_progress=False)
    clips = corpus.out / "clips"
    unused = held_out(clips, args.test_sentences + args.valid_sentences)
    for voice in roster:
        speak(voice, unused[:args.test_sentences], out / "test" / voice.name)
        speak(voice, unused[args.test_sentences:], out / "valid" / voice.name)
    timings = {"data_s": time.perf_counter() - started}

    train_list = out / "lists"
    for name in known:
        convert(clips / name, train_list / f"{name}.jsonl", to="chatml")
    base_config = load_config(ASRTrainConfig, "asr-tiny",
                              [*SMALL, f"trainer.max_steps={args.steps}",
                               "trainer.save_every=200", *args.overrides])
    mark = time.perf_counter()
    base = train_asr(train_list, out / "base", base_config, show_progress=True).checkpoint
    timings["train_s"] = time.perf_counter() - mark
    mark = time.perf_counter()
    valid = {w: float(np.mean([cer(base, out / "valid" / n, w) for n in known]))
             for w in WEIGHTS}
    weight = min(valid, key=valid.get)
    before = score_all(base, out / "test", roster, weight)
    timings["score_s"] = time.perf_counter() - mark

    tune_config = load_config(ASRTrainConfig, "asr-finetune", [
        f"init_param={base}", f"trainer.max_steps={args.finetune_steps}",
        "trainer.save_every=100", "trainer.log_every=50",
        *[o for o in args.overrides if o.startswith("trainer.device")]])
    mark = time.perf_counter()
    tuned = train_asr(clips / new, out / "tuned", tune_config, show_progress=True).checkpoint
    timings["finetune_s"] = time.perf_counter() - mark
    after = score_all(tuned, out / "test", roster, weight)
    timings["total_s"] = time.perf_counter() - started

    results = {
        "voices": known, "new_voice": new, "minutes_per_voice": args.minutes,
        "train_clips": sum(len(list((clips / n).glob("*.wav"))) for n in known),
        "new_voice_clips": len(list((clips / new).glob("*.wav"))),
        "test_sentences": args.test_sentences, "valid_sentences": args.valid_sentences,
        "steps": args.steps, "finetune_steps": args.finetune_steps,
        "overrides": args.overrides, "valid_cer_by_ctc_weight": valid, "ctc_weight": weight,
        "cer_before": before, "cer_after": after,
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
    }
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="work folder (corpus, models, results.json)")
    p.add_argument("--voices", type=int, default=4, help="voices the base model learns")
    p.add_argument("--minutes", type=float, default=4.0, help="minutes of clips per voice")
    p.add_argument("--test-sentences", type=int, default=20)
    p.add_argument("--valid-sentences", type=int, default=10)
    p.add_argument("--steps", type=int, default=1200, help="base model training steps")
    p.add_argument("--finetune-steps", type=int, default=200)
    p.add_argument("overrides", nargs="*", metavar="key=value",
                   help="base model config overrides")
    return p.parse_args()


def held_out(clips: Path, count: int) -> list[str]:
    """The first `count` shipped sentences (in file order) that no clip of the corpus says."""
    spoken = {lab.read_text(encoding="utf-8").strip() for lab in clips.rglob("*.lab")}
    unused = [text for text in sentences("en") if text not in spoken]
    if len(unused) < count:
        raise SystemExit(f"only {len(unused)} sentences are left for testing; ask for fewer "
                         "--minutes or --test-sentences")
    return unused[:count]


def speak(voice, texts: list[str], folder: Path) -> None:
    """Each sentence in `voice`: NNNN.wav (padded with a little silence) + NNNN.lab."""
    folder.mkdir(parents=True, exist_ok=True)
    for number, text in enumerate(texts):
        speech, rate = synthesize(voice, text)
        pad = np.zeros(int(PAD_SECONDS * rate), dtype=np.float32)
        write_audio(folder / f"{number:04d}.wav", np.concatenate([pad, speech, pad]), rate)
        (folder / f"{number:04d}.lab").write_text(text, encoding="utf-8")


def cer(model: Path, data: Path, ctc_weight: float) -> float:
    """Character error rate of `model` on the labelled clips of `data`."""
    options = DecodeOptions(ctc_weight=ctc_weight, batch_size=16)
    return evaluate_asr(model, data, unit="char", options=options, show_progress=False).rate


def score_all(model: Path, test: Path, roster, weight: float) -> dict[str, dict[str, float]]:
    """Each voice's test CER with joint decoding (`weight`) and with the LLM alone."""
    return {voice.name: {"joint": cer(model, test / voice.name, weight),
                         "llm_only": cer(model, test / voice.name, 0.0)} for voice in roster}


if __name__ == "__main__":
    main()
