"""CLI verb of speech recognition: transcribe."""

import argparse
from pathlib import Path

from voxtune.cli.common import print_rejects


def add_transcribe(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "transcribe", help="speech to text with a voxtune ASR model",
        description="Transcribe audio files, folders of audio, Kaldi wav.scp lists and ChatML "
        ".jsonl lists with a model trained by 'voxtune train asr' (greedy or beam search, "
        "batched). Like Fun-ASR's decode.py: --model-dir, --scp-file, --output-file; the "
        "output is Kaldi text ('utt-id text'), and OUTPUT.norm holds it normalised for "
        "scoring. With --ref, prints compute-wer's '%%WER …' (or %%CER) line.")
    p.add_argument("inputs", type=Path, nargs="*",
                   help="audio files, folders, .scp or ChatML .jsonl lists")
    p.add_argument("--model-dir", type=Path, required=True, help="voxtune ASR model folder")
    p.add_argument("--scp-file", type=Path, help="Kaldi wav.scp: 'utt-id path' per line")
    p.add_argument("--output-file", type=Path,
                   help="Kaldi text output (and OUTPUT.norm); default: print to stdout")
    p.add_argument("--ref", type=Path,
                   help="reference transcripts (Kaldi text or ChatML .jsonl) to score against")
    p.add_argument("--beam-size", type=int, default=1, help="1: greedy search (default)")
    p.add_argument("--ctc-weight", type=float,
                   help="weight of the CTC head in joint decoding, 0..1 (default: the one the "
                   "model was trained with; 0: the LLM alone)")
    p.add_argument("--batch-size", type=int, default=8, help="clips decoded together")
    p.add_argument("--language",
                   help="language of the speech for normalisation and scoring "
                   "(default: the model's)")
    p.add_argument("--target-language",
                   help="ask the model for this output language through the task prompt "
                   "(Fun-ASR's 语音转写成英文：); for models trained with such prompts")
    p.add_argument("--no-itn", action="store_true",
                   help="ask for text without normalisation (Fun-ASR's …，不进行文本规整：)")
    p.add_argument("--prompt", help="task prompt to use instead of the model's own")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1…")
    p.set_defaults(run=_run_transcribe)


def _run_transcribe(args: argparse.Namespace) -> int:
    from voxtune.asr.decode import DecodeOptions
    from voxtune.asr.transcribe import kaldi_text, transcribe

    options = DecodeOptions(beam_size=args.beam_size, batch_size=args.batch_size,
                            language=args.target_language, itn=False if args.no_itn else None,
                            prompt=args.prompt, ctc_weight=args.ctc_weight)
    result = transcribe(args.inputs, args.model_dir, scp_file=args.scp_file,
                        output_file=args.output_file, ref=args.ref, options=options,
                        language=args.language, device=args.device,
                        show_progress=not args.quiet)
    print_rejects(result.rejects, "skipped")
    for key, problem in result.run.problems.items():
        print(f"skipped {key}: {problem}")
    if args.output_file is None:
        print(kaldi_text(result.run.hypotheses), end="")
    else:
        print(f"transcripts: {', '.join(map(str, result.outputs))}")
    run = result.run
    print(f"{len(run.hypotheses)} clips, {run.audio_seconds:.1f} s of audio in "
          f"{run.wall_s:.2f} s on {result.device} (real-time factor {run.real_time_factor:.3f})")
    if result.score is not None:
        print(result.score.kaldi_line())
    return 0
