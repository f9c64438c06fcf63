"""The readable summary of a prepared dataset: clips and minutes per speaker, rejects by reason."""

from collections import Counter, defaultdict
from dataclasses import dataclass

from voxtune.data.manifest import Clip, Reject


@dataclass(frozen=True)
class PrepareReport:
    """Totals (`minutes` of kept audio) and the report text shown to the user."""

    clips: int
    minutes: float
    speakers: dict[str, tuple[int, float]]
    rejects: dict[str, int]
    text: str


def build_report(clips: list[Clip], rejects: list[Reject]) -> PrepareReport:
    per_speaker: dict[str, list[Clip]] = defaultdict(list)
    for clip in clips:
        per_speaker[clip.speaker].append(clip)
    speakers = {name: (len(items), sum(c.duration for c in items) / 60)
                for name, items in sorted(per_speaker.items())}
    reasons = dict(Counter(r.reason for r in rejects).most_common())
    minutes = sum(c.duration for c in clips) / 60
    width = max([len("speaker")] + [len(s) for s in speakers])
    lines = ["voxtune prepare report", "",
             f"{'speaker':<{width}}  {'clips':>6}  {'minutes':>8}  {'ASR-labelled':>12}"]
    for name, (count, mins) in speakers.items():
        asr = sum(c.text_source.startswith("asr") for c in per_speaker[name])
        lines.append(f"{name:<{width}}  {count:>6}  {mins:>8.2f}  {asr:>12}")
    lines.append(f"{'total':<{width}}  {len(clips):>6}  {minutes:>8.2f}")
    lines += ["", f"set aside: {len(rejects)} (details in rejected.jsonl)"]
    lines += [f"  {reason:<22} {count:>6}" for reason, count in reasons.items()]
    return PrepareReport(clips=len(clips), minutes=minutes, speakers=speakers, rejects=reasons,
                         text="\n".join(lines) + "\n")
