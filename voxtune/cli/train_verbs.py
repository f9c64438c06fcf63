"""CLI verb `train`: codec, tts and asr, through the shared trainer."""

import argparse
import os
from pathlib import Path

from voxtune.cli.common import OVERRIDES_HELP, config_from_args, print_rejects
from voxtune.errors import VoxtuneError


def add_train(verbs: argparse._SubParsersAction) -> None:
    p = verbs.add_parser(
        "train", help="train a model: codec, tts or asr",
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
    asr = kinds.add_parser(
        "asr", help="train the speech recognizer (Fun-ASR-Nano style): encoder, adaptor, LLM",
        description="Train an audio encoder + adaptor + Qwen3 LLM recognizer on labelled "
        "speech (ChatML JSONL as Fun-ASR writes it, or any layout voxtune reads). Presets: "
        "asr (GPU, from scratch), asr-tiny (CPU smoke run), asr-finetune (a trained model on "
        "a new voice: init_param=MODEL), asr-lora (LoRA on the LLM). Freeze parts with "
        "audio_encoder_conf.freeze=true, audio_adaptor_conf.freeze=true, llm_conf.freeze=true; "
        "start from pretrained parts with audio_encoder_conf.kind=whisper "
        "audio_encoder_conf.pretrained=WHISPER and llm_conf.pretrained=QWEN3.")
    _train_arguments(asr, "labelled speech: a ChatML .jsonl file, or any layout")
    asr.set_defaults(run=_run_train_asr)


def _train_arguments(p: argparse.ArgumentParser, data_help: str) -> None:
    p.add_argument("config", help="YAML config file or shipped preset name")
    p.add_argument("data", type=Path, nargs="?", help=data_help)
    p.add_argument("out", type=Path, nargs="?", help="run folder for checkpoints and logs")
    p.add_argument("overrides", nargs="*", metavar="key=value", help=OVERRIDES_HELP)
    p.add_argument("--print-config", action="store_true",
                   help="print the resulting config as YAML and exit")


def _train_config(args: argparse.Namespace, cls: type):
    """The config of a `train` verb, or None after printing it (--print-config)."""
    config = config_from_args(args, cls, ("out", "data"))
    if config is not None and (args.data is None or args.out is None):
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
    print_rejects(result.rejects, "set aside")
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
        _print_model(result.checkpoint, result.final)
    return 0


def _run_train_asr(args: argparse.Namespace) -> int:
    from voxtune.asr.config import ASRTrainConfig
    from voxtune.asr.train import train_asr

    config = _train_config(args, ASRTrainConfig)
    if config is None:
        return 0
    result = train_asr(args.data, args.out, config, show_progress=not args.quiet)
    if os.environ.get("RANK", "0") == "0":
        print_rejects(result.rejects, "set aside")
        _print_model(result.checkpoint, result.final)
    return 0


def _print_model(checkpoint: Path, final: dict[str, float]) -> None:
    """The last checkpoint and its final losses and accuracies."""
    shown = ", ".join(f"{k} {v:.4g}" for k, v in final.items()
                      if k.endswith(("loss", "accuracy")))
    print(f"model: {checkpoint}  ({shown})")
