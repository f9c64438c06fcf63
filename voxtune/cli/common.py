"""Pieces every CLI verb module shares."""

OVERRIDES_HELP = ("config overrides as key=value, e.g. slicer.threshold=-40 loudness.enabled=false"
                  " (see --print-config for every key)")


def print_rejects(rejects: list, verb: str) -> None:
    """One line per set-aside entry: what, why (reason code), and the message for people."""
    for reject in rejects:
        print(f"{verb} {reject.id or reject.source}: {reject.reason}: {reject.message}")
