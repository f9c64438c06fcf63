"""CLI verbs of speech synthesis: merge, synthesize."""

import argparse
from pathlib import Path

from voxtune.errors import VoxtuneError


def add_merge(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "merge", help="fold a LoRA checkpoint into its base model",
        description="Merge LoRA adapters into the base weights; the output folder loads on its "
        "own and gives the same logits as base + adapter.")
    p.add_argument("--lora", type=Path, required=True, help="LoRA checkpoint folder (step_…)")
    p.add_argument("--output", type=Path, required=True, help="new folder for the merged model")
    p.add_argument("--base", type=Path, help="base model folder (default: the one the LoRA "
                   "checkpoint names)")
    p.add_argument("--codec", type=Path, help="the voice's own decoder (a checkpoint of voxtune "
                   "train codec codec-demo or codec-finetune), copied into the merged model, "
                   "which then speaks through it")
    p.set_defaults(run=_run_merge)


def _run_merge(args: argparse.Namespace) -> int:
    from voxtune.tts.merge import merge

    print(f"merged model: {merge(args.lora, args.output, base=args.base, codec=args.codec)}")
    return 0


def add_synthesize(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "synthesize", help="text to speech with a VoxTTS model",
        description="Speak text in a voice learned in fine-tuning (--speaker) or cloned from a "
        "reference recording and its transcript (--ref-audio, --ref-text). Long text is split "
        "as GPT-SoVITS's text_split_method does.")
    p.add_argument("--model", required=True, help="VoxTTS model folder (merged or checkpoint)")
    text = p.add_mutually_exclusive_group(required=True)
    text.add_argument("--text", help="what to say")
    text.add_argument("--text-file", type=Path, help="a UTF-8 file with what to say")
    p.add_argument("--out", type=Path, required=True, help="output audio: .wav .flac .mp3 .ogg")
    p.add_argument("--speaker", help="a speaker the model learned")
    p.add_argument("--ref-audio", type=Path, help="reference recording to clone")
    p.add_argument("--ref-text", help="transcript of the reference recording")
    p.add_argument("--language", default="en", help="language of the text (en, es, zh)")
    p.add_argument("--codec", help="codec folder (default: the one recorded in the model)")
    p.add_argument("--split", default="length",
                   help="how to split long text: none, sentences, length (default), zh_period, "
                   "en_period, punctuation, or GPT-SoVITS's cut0..cut5")
    p.add_argument("--speed", type=float, default=1.0, help="speaking rate, 0.5..2")
    p.add_argument("--temperature", type=float, default=0.7)
    p.add_argument("--top-k", type=int, default=50)
    p.add_argument("--top-p", type=float, default=0.9)
    p.add_argument("--repetition-penalty", type=float, default=1.1)
    p.add_argument("--max-frames", type=int, default=1500, help="longest piece, codec frames")
    p.add_argument("--max-stretch", type=float, default=1.6,
                   help="models with aligned positions: end a piece at this many times the "
                   "length its text predicts (0: no bound)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=8, help="pieces generated together")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1…")
    p.add_argument("--compile", action="store_true",
                   help="fused decoder, static KV cache, CUDA graphs (Llama/Qwen backbones): "
                   "compiles once, then decodes far faster")
    p.set_defaults(run=_run_synthesize)


def _run_synthesize(args: argparse.Namespace) -> int:
    from voxtune.tts.generate import SamplingConfig
    from voxtune.tts.synthesize import synthesize

    if args.text_file is not None:
        try:
            text = args.text_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise VoxtuneError(f"{args.text_file}: cannot be read as UTF-8 text ({exc})") from exc
    else:
        text = args.text
    sampling = SamplingConfig(temperature=args.temperature, top_k=args.top_k, top_p=args.top_p,
                              repetition_penalty=args.repetition_penalty,
                              max_frames=args.max_frames, max_stretch=args.max_stretch,
                              seed=args.seed)
    result = synthesize(args.model, text, args.out, speaker=args.speaker,
                        ref_audio=args.ref_audio, ref_text=args.ref_text,
                        language=args.language, codec=args.codec, split=args.split,
                        speed=args.speed, sampling=sampling, batch_size=args.batch_size,
                        device=args.device, compile=args.compile)
    print(f"{result.out}: {result.seconds:.2f} s of audio in {len(result.pieces)} pieces, "
          f"{result.wall_s:.2f} s on {result.device} (real-time factor "
          f"{result.real_time_factor:.3f}, first audio after {result.first_audio_s:.2f} s)")
    return 0
