"""The demo's quality bars: what the fine-tuned voice must reach, judged from the reports.

Each bar compares one measured number with a threshold; some thresholds are measured too
(from the target voice's own held-out recordings, or the base model cloning the voice
zero-shot). Every number is read from a `report.json` that a `voxtune eval` stage of the
demo left in its folder:

    report-codec/        eval codec: the voice's held-out recordings resynthesized by the
                         base codec
    report-voice-codec/  the same by the voice's own codec (the base codec's decoder
                         fine-tuned on its recordings), which the fine-tuned model speaks
                         through
    report-own/          eval folder: those recordings themselves (margin, DNSMOS)
    report/              eval tts --compare: "model" is the fine-tuned voice, "compare" the
                         base model cloning it zero-shot from one of the voice's clips

Intelligibility is judged by character error rate (CER, a fraction: 0.10 is 10 %),
computed from the Whisper-base transcripts the reports keep, as a mean over clips, the way
the reports average: the reports' own numbers when they score characters (the demo asks
for `--unit char`), and still CER for a report re-run to score words. A bar whose input is
missing (no report, no clip scored, speed measured on a GPU) is "not measured": its note
says what is missing, and no number stands in for it.
"""

import json
import operator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from voxtune.eval.wer import error_rate
from voxtune.files import write_text

CODEC_CER_INCREASE = 0.03  # resynthesis: at most 3 points of CER above the originals
CODEC_SIMILARITY = 0.90  # resynthesis to its own original (resemblyzer cosine)
# fine-tuned voice's CER, by language: Whisper-base reads Mandarin less well
TUNED_CER = {"en": 0.08, "es": 0.08, "zh": 0.10}
TUNED_CER_OTHERS = 0.10
CER_OVER_BASE = 0.03  # fine-tuned CER at most 3 points above the base model cloning zero-shot
OWN_MARGIN_SHARE = 0.8  # fine-tuned margin ≥ this share of the own recordings' margin
OVRL_DROP = 0.3  # fine-tuned DNSMOS OVRL at most this far below the own recordings'
CPU_REAL_TIME_FACTOR = 0.5  # base model: synthesis wall time over audio duration, on a CPU
_OPERATORS = {"≤": operator.le, "≥": operator.ge, ">": operator.gt}

# Each measurement: the report folder it comes from, and what it is, in words.
INPUTS = {
    "codec_original_cer": ("report-codec", "CER of the original recordings"),
    "codec_resynth_cer": ("report-codec", "CER of their resynthesis"),
    "codec_similarity": ("report-codec", "resynthesis similarity (resynth_similarity)"),
    "voice_codec_original_cer": ("report-voice-codec", "CER of the original recordings"),
    "voice_codec_resynth_cer": ("report-voice-codec", "CER of their resynthesis"),
    "voice_codec_similarity": ("report-voice-codec",
                               "resynthesis similarity (resynth_similarity)"),
    "own_margin": ("report-own", "similarity margin of the own recordings"),
    "own_ovrl": ("report-own", "DNSMOS OVRL of the own recordings"),
    "tuned_cer": ("report", "CER of the fine-tuned model ('model')"),
    "tuned_margin": ("report", "similarity margin of the fine-tuned model ('model')"),
    "tuned_ovrl": ("report", "DNSMOS OVRL of the fine-tuned model ('model')"),
    "base_margin": ("report", "similarity margin of the base model ('compare')"),
    "base_cer": ("report", "CER of the base model ('compare')"),
    "base_rtf": ("report", "CPU real-time factor of the base model ('compare')"),
}


@dataclass
class Measurements:
    """The numbers the bars read; None where not measured, and `missing` says why."""

    codec_original_cer: float | None = None
    codec_resynth_cer: float | None = None
    codec_similarity: float | None = None
    voice_codec_original_cer: float | None = None
    voice_codec_resynth_cer: float | None = None
    voice_codec_similarity: float | None = None
    own_margin: float | None = None
    own_ovrl: float | None = None
    tuned_cer: float | None = None
    tuned_margin: float | None = None
    tuned_ovrl: float | None = None
    base_margin: float | None = None
    base_cer: float | None = None
    base_rtf: float | None = None
    language: str = "en"  # the voice's, which sets the fine-tuned CER bar
    missing: dict[str, str] = field(default_factory=dict)

    def why_missing(self, name: str) -> str:
        return self.missing.get(name) or f"no {INPUTS[name][1]}"


@dataclass
class Bar:
    """One bar: the measured value, the rule in words (with the threshold's value once it
    is known), and whether the value meets it (None: not measured)."""

    name: str
    value: float | None
    rule: str
    threshold: float | None
    passed: bool | None
    note: str = ""  # the numbers behind the value, or what is missing

    @property
    def status(self) -> str:
        return "not measured" if self.passed is None else "pass" if self.passed else "FAIL"


def measure(out: Path, language: str = "en") -> Measurements:
    """Read the demo folder's reports (see the module docstring)."""
    found = Measurements(language=language)
    for folder, prefix in (("report-codec", "codec_"), ("report-voice-codec", "voice_codec_")):
        codec = _read_report(Path(out), folder, found)
        if codec is not None:
            rows = [row for row in codec.get("clips", []) if not row.get("problem")]
            setattr(found, prefix + "original_cer",
                    _mean_cer(rows, "original_transcript", language))
            setattr(found, prefix + "resynth_cer",
                    _mean_cer(rows, "resynth_transcript", language))
            setattr(found, prefix + "similarity", _metric(codec, "resynth_similarity"))
    own = _read_report(Path(out), "report-own", found)
    if own is not None:
        found.own_margin = _metric(own, "similarity_margin")
        found.own_ovrl = _metric(own, "mos_ovrl")
    tts = _read_report(Path(out), "report", found)
    if tts is not None:
        tuned, base = tts.get("model") or {}, tts.get("compare") or {}
        found.tuned_cer = _mean_cer(tuned.get("clips", []), "transcript", language)
        found.tuned_margin = _metric(tuned, "similarity_margin")
        found.tuned_ovrl = _metric(tuned, "mos_ovrl")
        found.base_margin = _metric(base, "similarity_margin")
        found.base_cer = _mean_cer(base.get("clips", []), "transcript", language)
        if base.get("device") == "cpu":
            found.base_rtf = _metric(base, "real_time_factor")
        elif base.get("device"):
            found.missing["base_rtf"] = (f"the base model synthesized on {base['device']}, "
                                         "not the CPU; run the demo with --device cpu")
    for name, (folder, what) in INPUTS.items():
        if getattr(found, name) is None and name not in found.missing:
            found.missing[name] = f"{folder}/report.json has no {what}"
    return found


def judge(m: Measurements) -> list[Bar]:
    """Every bar, in a fixed order: the base codec, the voice's codec, the fine-tuned voice,
    speed."""
    own_share = None if m.own_margin is None else OWN_MARGIN_SHARE * m.own_margin
    own_ovrl = None if m.own_ovrl is None else m.own_ovrl - OVRL_DROP
    over_base = (None if m.tuned_margin is None or m.base_margin is None
                 else m.tuned_margin - m.base_margin)
    over_base_cer = (None if m.tuned_cer is None or m.base_cer is None
                     else m.tuned_cer - m.base_cer)
    tuned_cer = TUNED_CER.get(m.language, TUNED_CER_OTHERS)
    return [
        *_codec_bars(m, "base codec", "codec_"),
        *_codec_bars(m, "voice's codec", "voice_codec_"),
        _bar(m, "fine-tuned: CER", m.tuned_cer, f"≤ {tuned_cer:g} ({m.language})", tuned_cer,
             ("tuned_cer",)),
        _bar(m, "fine-tuned: CER against base model zero-shot", over_base_cer,
             f"≤ {CER_OVER_BASE:g} (3 points above the base model's)", CER_OVER_BASE,
             ("tuned_cer", "base_cer"),
             "" if over_base_cer is None else
             f"CER {m.tuned_cer:.3f} against the base model's {m.base_cer:.3f}"),
        _bar(m, "fine-tuned: similarity margin", m.tuned_margin, "> 0", 0.0,
             ("tuned_margin",)),
        _bar(m, "fine-tuned: margin against own recordings", m.tuned_margin,
             f"≥ {OWN_MARGIN_SHARE:g} × own recordings' margin" if own_share is None else
             f"≥ {own_share:.3f} ({OWN_MARGIN_SHARE:g} × own recordings' {m.own_margin:.3f})",
             own_share, ("tuned_margin", "own_margin")),
        _bar(m, "fine-tuned: margin against base model zero-shot", m.tuned_margin,
             "> base model's margin" if m.base_margin is None else
             f"> {m.base_margin:.3f} (base model's margin)", m.base_margin,
             ("tuned_margin", "base_margin"),
             "" if over_base is None else f"{over_base:+.4f} over the base model"),
        _bar(m, "fine-tuned: DNSMOS OVRL", m.tuned_ovrl,
             f"≥ own recordings' OVRL − {OVRL_DROP:g}" if own_ovrl is None else
             f"≥ {own_ovrl:.3f} (own recordings' {m.own_ovrl:.3f} − {OVRL_DROP:g})",
             own_ovrl, ("tuned_ovrl", "own_ovrl")),
        _bar(m, "base model: CPU real-time factor", m.base_rtf, f"≤ {CPU_REAL_TIME_FACTOR:g}",
             CPU_REAL_TIME_FACTOR, ("base_rtf",)),
    ]


def _codec_bars(m: Measurements, codec: str, prefix: str) -> list[Bar]:
    """What resynthesis by one codec loses: CER over the originals, and voice similarity."""
    original, resynth = (getattr(m, prefix + "original_cer"),
                         getattr(m, prefix + "resynth_cer"))
    increase = None if original is None or resynth is None else resynth - original
    return [
        _bar(m, f"{codec} resynthesis: CER increase over the originals", increase,
             f"≤ {CODEC_CER_INCREASE:g} (3 points)", CODEC_CER_INCREASE,
             (prefix + "original_cer", prefix + "resynth_cer"),
             f"CER of the originals {_show(original)}, of their resynthesis "
             f"{_show(resynth)}"),
        _bar(m, f"{codec} resynthesis: similarity to the original",
             getattr(m, prefix + "similarity"), f"≥ {CODEC_SIMILARITY:g}", CODEC_SIMILARITY,
             (prefix + "similarity",))]


def write_bars(bars: list[Bar], path: Path) -> Path:
    """`bars.json`: each bar with its status ("pass", "FAIL" or "not measured")."""
    rows = [{**asdict(bar), "status": bar.status} for bar in bars]
    write_text(path, json.dumps({"bars": rows}, indent=2, ensure_ascii=False) + "\n")
    return path


def format_bars(bars: list[Bar]) -> str:
    """The bars as a plain-text table, one line each; notes of unmeasured bars below it."""
    width = max(len(bar.name) for bar in bars)
    lines = [f"{'quality bar':{width}s}  {'value':>8s}  {'result':12s}  rule"]
    for bar in bars:
        lines.append(f"{bar.name:{width}s}  {_show(bar.value):>8s}  {bar.status:12s}  "
                     f"{bar.rule}")
    lines += [f"  {bar.name}: {bar.note}" for bar in bars if bar.passed is None]
    return "\n".join(lines)


def _bar(m: Measurements, name: str, value: float | None, rule: str,
         threshold: float | None, needs: tuple[str, ...], detail: str = "") -> Bar:
    """`rule` starts with the comparison (≤, ≥ or >) of `value` with `threshold`; `needs`
    names the measurements both depend on."""
    missing = [m.why_missing(need) for need in needs if getattr(m, need) is None]
    if missing:
        return Bar(name, value, rule, threshold, None,
                   "not measured: " + "; ".join(dict.fromkeys(missing)))
    assert value is not None and threshold is not None  # every input was measured
    return Bar(name, value, rule, threshold, _OPERATORS[rule[0]](value, threshold), detail)


def _show(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _read_report(out: Path, folder: str, found: Measurements) -> dict | None:
    """`out/folder/report.json`, or None with the reason noted for its measurements."""
    path = out / folder / "report.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        reason = ("no such file" if isinstance(exc, FileNotFoundError)
                  else f"cannot be read ({exc})")
        for name, (source, _) in INPUTS.items():
            if source == folder:
                found.missing[name] = f"{folder}/report.json: {reason}"
        return None


def _metric(report: dict, name: str) -> float | None:
    """A metric's mean from a report's `metrics`, or None when it was not measured."""
    value = (report.get("metrics") or {}).get(name)
    return None if value is None else float(value["mean"])


def _mean_cer(rows: list[dict], transcript: str, language: str) -> float | None:
    """Mean over clips of the CER of `row[transcript]` against `row["text"]`; clips that
    were not transcribed are left out, as the reports leave them out of their means."""
    rates = [error_rate({"clip": row["text"]}, {"clip": row[transcript]}, language,
                        unit="char").rate
             for row in rows if row.get("text") and row.get(transcript) is not None]
    return sum(rates) / len(rates) if rates else None
