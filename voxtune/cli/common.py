"""Pieces every CLI verb module shares."""

import argparse

OVERRIDES_HELP = ("config overrides as key=value, e.g. slicer.threshold=-40 loudness.enabled=false"
                  " (see --print-config for every key)")


def print_rejects(rejects: list, verb: str) -> None:
    """One line per set-aside entry: what, why (reason code), and the message for people."""
    for reject in rejects:
        print(f"{verb} {reject.id or reject.source}: {reject.reason}: {reject.message}")


def config_from_args(args: argparse.Namespace, cls: type, positionals: tuple[str, ...]):
    """The verb's config from `--config`/CONFIG, overrides, and any optional positional that
    argparse filled with a `key=value` override (it is taken back as one). Returns None
    after printing the config for `--print-config`."""
    from voxtune.config import dump_yaml, load_config

    overrides = list(args.overrides)
    for name in positionals:
        value = getattr(args, name)
        if value is not None and "=" in str(value):
            overrides.insert(0, str(value))
            setattr(args, name, None)
    config = load_config(cls, args.config, overrides)
    if args.print_config:
        print(dump_yaml(config), end="")
        return None
    return config
