"""The `voxtune` command: one verb per pipeline stage, each a thin wrapper over a function.

Every verb calls the Python function of the same name with the same arguments, so the
CLI, the tests and Python users share one entry point. User errors (`VoxtuneError`) are
printed as one line, without a traceback, and exit with status 2.
"""

import argparse
import dataclasses
import logging
import os
import sys
from pathlib import Path

from voxtune import __version__
from voxtune.errors import VoxtuneError

OVERRIDES_HELP = ("config overrides as key=value, e.g. slicer.threshold=-40 loudness.enabled=false"
                  " (see --print-config for every key)")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    # key=value overrides may come anywhere, also after options; argparse stops collecting
    # positionals at the first option, so the leftovers are gathered here.
    args, extra = parser.parse_known_args(argv)
    overrides = [item for item in extra if "=" in item and not item.startswith("-")]
    if len(overrides) != len(extra) or (overrides and not hasattr(args, "overrides")):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if overrides:
        args.overrides = [*args.overrides, *overrides]
    logging.basicConfig(level=logging.WARNING if args.quiet else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    if not hasattr(args, "run"):
        parser.print_help()
        return 1
    try:
        return args.run(args) or 0
    except VoxtuneError as exc:
        print(f"voxtune {args.verb}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"voxtune {args.verb}: interrupted; finished files are kept and the next run "
              "picks up where this one stopped", file=sys.stderr)
        return 130


def _print_rejects(rejects: list, verb: str) -> None:
    """One line per set-aside entry: what, why (reason code), and the message for people."""
    for reject in rejects:
        print(f"{verb} {reject.id or reject.source}: {reject.reason}: {reject.message}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voxtune",
        description="From your own recordings to a fine-tuned voice (TTS) or recognizer (ASR).",
        epilog="Run 'voxtune VERB --help' for the options of a stage.")
    parser.add_argument("--version", action="version", version=f"voxtune {__version__}")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    verbs = parser.add_subparsers(title="stages", metavar="VERB", dest="verb")
    _add_demo_data(verbs)
    _add_prepare(verbs)
    _add_convert(verbs)
    _add_extract(verbs)
    _add_pack(verbs)
    _add_train(verbs)
    _add_merge(verbs)
    _add_synthesize(verbs)
    return parser


def _add_demo_data(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "demo-data", help="make a synthetic multi-speaker corpus with exact transcripts",
        description="Synthesize a deterministic corpus with espeak-ng (and flite when "
        "installed): short labelled clips in the speaker-folder layout (OUT/clips), long "
        "unsegmented recordings in mixed formats, rates, channels and levels with a "
        "ground-truth file of sentence spans (OUT/long), and optionally a folder of broken "
        "inputs for testing (OUT/messy).")
    p.add_argument("out", type=Path, help="output folder")
    p.add_argument("--speakers", type=int, default=4, help="English speakers (default 4)")
    p.add_argument("--minutes", type=float, default=2.0,
                   help="minutes of speech per speaker in each form (default 2)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--no-mandarin", action="store_true",
                   help="leave out the Mandarin speaker (espeak-ng cmn, low quality)")
    p.add_argument("--messy", action="store_true", help="also write OUT/messy with bad inputs")
    p.set_defaults(run=_run_demo_data)


def _run_demo_data(args: argparse.Namespace) -> int:
    from voxtune.demo import demo_data

    summary = demo_data(args.out, speakers=args.speakers, minutes=args.minutes, seed=args.seed,
                        mandarin=not args.no_mandarin, messy=args.messy,
                        show_progress=not args.quiet)
    print(f"demo corpus in {summary.out}: {len(summary.speakers)} speakers; "
          f"{summary.clips} labelled clips ({summary.clip_seconds / 60:.1f} min) in clips/, "
          f"{summary.recordings} long recordings ({summary.long_seconds / 60:.1f} min, "
          f"{summary.spans} sentence spans in long/truth.jsonl) in long/"
          + (f"; broken inputs in {summary.messy}" if summary.messy else ""))
    return 0


def _add_prepare(verbs: argparse._SubParsersAction) -> None:
    from voxtune.data.layouts import LAYOUTS

    p = verbs.add_parser(
        "prepare", help="clean, slice, label and measure recordings into a dataset",
        description="Turn recordings in any known layout into a clean dataset: decode, mix to "
        "mono, resample, slice long recordings at silences (GPT-SoVITS slicer parameters), "
        "optional VAD trimming and denoising, transcribe unlabelled clips, set aside clips "
        "that fail the quality gate, normalise loudness. Writes OUT/SPEAKER/CLIP.wav + .lab, "
        "OUT/manifest.jsonl, OUT/rejected.jsonl and OUT/report.txt. Re-running skips "
        "finished work.")
    p.add_argument("src", type=Path, help="recordings: a folder or a list file")
    p.add_argument("out", type=Path, nargs="?", help="output dataset folder")
    p.add_argument("overrides", nargs="*", metavar="key=value", help=OVERRIDES_HELP)
    p.add_argument("--layout", choices=LAYOUTS, help="input layout (default: detected)")
    p.add_argument("--config", help="YAML config file or shipped preset name "
                   "(prepare, prepare-gptsovits, prepare-funasr)")
    p.add_argument("--num-workers", type=int, default=1, help="parallel worker processes")
    p.add_argument("--print-config", action="store_true",
                   help="print the resulting config as YAML and exit")
    p.set_defaults(run=_run_prepare)


def _run_prepare(args: argparse.Namespace) -> int:
    from voxtune.config import dump_yaml, load_config
    from voxtune.data.prepare import prepare
    from voxtune.data.prepare_config import PrepareConfig

    overrides = list(args.overrides)
    if args.out is not None and "=" in str(args.out):
        overrides.insert(0, str(args.out))
        args.out = None
    config = load_config(PrepareConfig, args.config, overrides)
    if args.print_config:
        print(dump_yaml(config), end="")
        return 0
    if args.out is None:
        raise VoxtuneError("missing the output folder: voxtune prepare SRC OUT")
    result = prepare(args.src, args.out, config, layout=args.layout,
                     num_workers=args.num_workers, show_progress=not args.quiet)
    print(result.report.text)
    print(f"dataset: {result.out}  (manifest.jsonl, rejected.jsonl, report.txt)")
    return 0


def _add_convert(verbs: argparse._SubParsersAction) -> None:
    from voxtune.data.layouts import LAYOUTS

    p = verbs.add_parser(
        "convert", help="convert a dataset between layouts (.list, filelists, Kaldi, ChatML…)",
        description="Read a dataset in one layout and write it in another. ChatML JSONL is "
        "the Fun-ASR training format (speech_length in 10 ms fbank frames, text_length in "
        "tokens of --tokenizer).")
    p.add_argument("src", type=Path, help="input dataset: a folder or a list file")
    p.add_argument("out", type=Path, help="output folder")
    p.add_argument("--to", required=True, choices=LAYOUTS, help="output layout")
    p.add_argument("--from", dest="from_layout", choices=LAYOUTS,
                   help="input layout (default: detected)")
    p.add_argument("--language", default="en", help="language where the input does not say")
    p.add_argument("--tokenizer", default="chars",
                   help="for ChatML text_length: chars, a tokenizer.json, or a model folder/hub id")
    p.add_argument("--prompt", help="ChatML task prompt (default 语音转写：)")
    p.add_argument("--link-audio", action="store_true",
                   help="reference the original audio instead of copying it where a layout "
                   "holds audio files")
    p.set_defaults(run=_run_convert)


def _run_convert(args: argparse.Namespace) -> int:
    from voxtune.data.convert import convert
    from voxtune.data.layouts import ExportOptions

    options = ExportOptions(copy_audio=not args.link_audio, tokenizer=args.tokenizer)
    if args.prompt:
        options = dataclasses.replace(options, prompt=args.prompt)
    summary = convert(args.src, args.out, args.to, from_layout=args.from_layout,
                      language=args.language, options=options)
    _print_rejects(summary.rejects, "skipped")
    print(f"read {summary.read} utterances, wrote {summary.written} as {args.to}: "
          f"{summary.output}")
    return 0


def _add_extract(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "extract", help="encode every clip to codec tokens (CLIP.npy beside CLIP.wav)",
        description="Like fish-speech's extract_vq.py: write CLIP.npy (integer codes, "
        "[num_codebooks, frames]) beside each clip and record the codec in DATA/codes.json. "
        "Re-running skips clips already done and redoes clips whose audio changed. Under "
        "torchrun, each rank encodes its share of the clips.")
    p.add_argument("data", type=Path, help="prepared dataset folder (or any layout voxtune reads)")
    p.add_argument("--codec", required=True,
                   help="codec folder or hub id (transformers Mimi, DAC or EnCodec)")
    p.add_argument("--batch-size", type=int, default=8, help="clips per codec call")
    p.add_argument("--num-workers", type=int, default=2, help="audio decoding processes")
    p.add_argument("--device", default="auto",
                   help="auto (cuda when available, else cpu), cpu, cuda, cuda:1…")
    p.add_argument("--filelist", type=Path, help="only the clips listed here (any layout)")
    p.set_defaults(run=_run_extract)


def _run_extract(args: argparse.Namespace) -> int:
    from voxtune.codec.extract import extract

    summary = extract(args.data, args.codec, batch_size=args.batch_size,
                      num_workers=args.num_workers, device=args.device, filelist=args.filelist,
                      show_progress=not args.quiet)
    _print_rejects(summary.rejects, "set aside")
    print(f"{summary.codec_id}: encoded {summary.encoded} clips "
          f"({summary.audio_seconds / 60:.1f} min), {summary.up_to_date} already up to date, "
          f"{len(summary.rejects)} set aside")
    return 0


def _add_pack(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "pack", help="pack text + codec tokens into protobuf shards with an index",
        description="Like fish-speech's build_dataset.py: speaker-grouped records of sentences "
        "(text and codes) in length-prefixed protobuf shards of bounded size, a memory-mapped "
        "index (records.npy, sentences.npy) and dataset.json (codec, speakers, languages, "
        "hours). Clips with missing, stale or malformed codes are set aside by name.")
    p.add_argument("data", type=Path, help="dataset folder after voxtune extract")
    p.add_argument("out", type=Path, help="packed dataset folder to write")
    p.add_argument("--sentences-per-record", type=int, default=32,
                   help="sentences of one speaker per record (default 32)")
    p.add_argument("--shard-mb", type=float, default=256.0, help="shard size bound in MiB")
    p.set_defaults(run=_run_pack)


def _run_pack(args: argparse.Namespace) -> int:
    from voxtune.data.packed import pack

    summary = pack(args.data, args.out, sentences_per_record=args.sentences_per_record,
                   shard_mb=args.shard_mb, show_progress=not args.quiet)
    _print_rejects(summary.rejects, "set aside")
    print(f"packed {summary.sentences} sentences ({summary.hours:.2f} h) into "
          f"{summary.records} records in {summary.shards} shards: {summary.out}")
    return 0


def _add_train(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "train", help="train a model: codec or tts",
        description="Train a model with voxtune's trainer: checkpoints OUT/step_000001000/, "
        "TensorBoard logs in OUT/logs, OUT/train_log.jsonl, a progress bar; a run whose OUT "
        "has checkpoints continues from the latest. Run under torchrun for several GPUs.")
    kinds = p.add_subparsers(title="models", metavar="MODEL", dest="model")
    codec = kinds.add_parser(
        "codec", help="train VoxCodec, or fine-tune its decoder on one speaker",
        description="Train VoxCodec (16 kHz, 25 token frames/s, residual FSQ) on a prepared "
        "dataset. Presets: codec (GPU, from scratch), codec-tiny (CPU smoke run), "
        "codec-finetune (decoder and vocoder on one speaker, encoder and quantizer fixed; "
        "needs init_from=TRAINED_CODEC).")
    _train_arguments(codec, "prepared dataset folder (or any layout)")
    codec.set_defaults(run=_run_train_codec)
    tts = kinds.add_parser(
        "tts", help="train the text-to-speech LM: from scratch, full fine-tune or LoRA",
        description="Train VoxTTS on a packed dataset. Presets: tts (GPU, from scratch), "
        "tts-finetune (full fine-tune, fish-speech's text2semantic_finetune), tts-lora "
        "(LoRA r_8_alpha_16), tts-tiny (CPU smoke run); start from a model with "
        "backbone.pretrained=FOLDER_OR_HUB_ID.")
    _train_arguments(tts, "packed dataset folder (voxtune pack)")
    tts.set_defaults(run=_run_train_tts)


def _train_arguments(p: argparse.ArgumentParser, data_help: str) -> None:
    p.add_argument("config", help="YAML config file or shipped preset name")
    p.add_argument("data", type=Path, nargs="?", help=data_help)
    p.add_argument("out", type=Path, nargs="?", help="run folder for checkpoints and logs")
    p.add_argument("overrides", nargs="*", metavar="key=value", help=OVERRIDES_HELP)
    p.add_argument("--print-config", action="store_true",
                   help="print the resulting config as YAML and exit")


def _train_config(args: argparse.Namespace, cls: type):
    """The config of a `train` verb, or None after printing it (--print-config)."""
    from voxtune.config import dump_yaml, load_config

    overrides = list(args.overrides)
    for name in ("out", "data"):
        value = getattr(args, name)
        if value is not None and "=" in str(value):
            overrides.insert(0, str(value))
            setattr(args, name, None)
    config = load_config(cls, args.config, overrides)
    if args.print_config:
        print(dump_yaml(config), end="")
        return None
    if args.data is None or args.out is None:
        raise VoxtuneError(f"missing folders: voxtune train {args.model} CONFIG DATA OUT")
    return config


def _run_train_codec(args: argparse.Namespace) -> int:
    from voxtune.codec.voxcodec.config import CodecTrainConfig
    from voxtune.codec.voxcodec.train import train_codec

    config = _train_config(args, CodecTrainConfig)
    if config is None:
        return 0
    result = train_codec(args.data, args.out, config, show_progress=not args.quiet)
    if os.environ.get("RANK", "0") != "0":  # under torchrun, rank 0 speaks for all
        return 0
    _print_rejects(result.rejects, "set aside")
    shown = ", ".join(f"{k} {v:.4g}" for k, v in result.final.items() if "mel" in k)
    print(f"codec: {result.checkpoint}  ({shown})")
    return 0


def _run_train_tts(args: argparse.Namespace) -> int:
    from voxtune.tts.config import TTSTrainConfig
    from voxtune.tts.train import train_tts

    config = _train_config(args, TTSTrainConfig)
    if config is None:
        return 0
    result = train_tts(args.data, args.out, config, show_progress=not args.quiet)
    if os.environ.get("RANK", "0") == "0":
        shown = ", ".join(f"{k} {v:.4g}" for k, v in result.final.items()
                          if k.endswith(("loss", "accuracy")))
        print(f"model: {result.checkpoint}  ({shown})")
    return 0


def _add_merge(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "merge", help="fold a LoRA checkpoint into its base model",
        description="Merge LoRA adapters into the base weights; the output folder loads on its "
        "own and gives the same logits as base + adapter.")
    p.add_argument("--lora", type=Path, required=True, help="LoRA checkpoint folder (step_…)")
    p.add_argument("--output", type=Path, required=True, help="new folder for the merged model")
    p.add_argument("--base", type=Path, help="base model folder (default: the one the LoRA "
                   "checkpoint names)")
    p.set_defaults(run=_run_merge)


def _run_merge(args: argparse.Namespace) -> int:
    from voxtune.tts.merge import merge

    print(f"merged model: {merge(args.lora, args.output, base=args.base)}")
    return 0


def _add_synthesize(verbs: argparse._SubParsersAction) -> None:
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
    p.add_argument("--language", default="en", help="language of the text (en, zh)")
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
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=8, help="pieces generated together")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1…")
    p.add_argument("--compile", action="store_true",
                   help="static KV cache + CUDA graphs: compiles once, then decodes far faster")
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
                              max_frames=args.max_frames, seed=args.seed)
    result = synthesize(args.model, text, args.out, speaker=args.speaker,
                        ref_audio=args.ref_audio, ref_text=args.ref_text,
                        language=args.language, codec=args.codec, split=args.split,
                        speed=args.speed, sampling=sampling, batch_size=args.batch_size,
                        device=args.device, compile=args.compile)
    print(f"{result.out}: {result.seconds:.2f} s of audio in {len(result.pieces)} pieces, "
          f"{result.wall_s:.2f} s on {result.device} (real-time factor "
          f"{result.real_time_factor:.3f}, first audio after {result.first_audio_s:.2f} s)")
    return 0
