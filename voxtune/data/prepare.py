"""`voxtune prepare`: from whatever recordings a person has to a clean, labelled dataset.

Reads any known layout, runs every source through `clips.prepare_source` (in parallel
worker processes), and writes the seeds' layout (`OUT/SPEAKER/CLIP.wav` + `.lab`),
`manifest.jsonl`, `rejected.jsonl` and `report.txt`.

Re-running is cheap: each finished source leaves a small record under `OUT/.voxtune/`
keyed by the source file's size and mtime and by the config; a source whose record
matches and whose clips exist is not processed again. Records are written last, so a
source interrupted half-way is simply redone.
"""

import hashlib
import json
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from voxtune.config import dump_yaml, to_dict
from voxtune.data.clips import SourceResult, prepare_source
from voxtune.data.layouts import detect_layout, read_layout
from voxtune.data.manifest import (
    MANIFEST,
    REJECTED,
    Clip,
    Reject,
    Utterance,
    write_manifest,
    write_rejects,
)
from voxtune.data.prepare_config import PrepareConfig
from voxtune.data.report import PrepareReport, build_report
from voxtune.errors import InputError
from voxtune.files import PARTIAL_MARK, file_fingerprint, safe_name, write_text
from voxtune.labeling import Transcriber, load_transcriber

log = logging.getLogger(__name__)
STATE_DIR = ".voxtune/prepare"


@dataclass
class PrepareResult:
    clips: list[Clip]
    rejects: list[Reject]
    report: PrepareReport
    out: Path


def prepare(src: Path, out: Path, config: PrepareConfig | None = None,
            layout: str | None = None, num_workers: int = 1,
            show_progress: bool = True) -> PrepareResult:
    """Prepare the recordings under `src` into a dataset in `out` (see the module docstring)."""
    config = config or PrepareConfig()
    src, out = Path(src), Path(out)
    _check_paths(src, out)
    layout = layout or detect_layout(src)
    utterances, rejects = read_layout(src, layout, language=config.language)
    may_transcribe = layout == "longform" or config.asr.label_missing
    named, duplicates = _clip_names(utterances)
    rejects += duplicates
    if show_progress:
        for reject in rejects:
            tqdm.write(f"set aside {reject.source}: {reject.reason}: {reject.message}")
    out.mkdir(parents=True, exist_ok=True)
    _remove_partial_files(out)
    write_text(out / "prepare.yaml", dump_yaml(config))
    config_key = json.dumps(to_dict(config), sort_keys=True)
    todo, results = [], []
    for utterance, name in named:
        key = _source_key(utterance, config_key)
        cached = _load_state(out, utterance, key)
        if cached is None:
            todo.append((utterance, name, key))
        else:
            results.append(cached)
    needs_asr = (may_transcribe and config.asr.backend != "none"
                 and any(u.text is None for u, _, _ in todo))
    log.info("%s layout, %d sources: %d to process, %d already done", layout, len(named),
             len(todo), len(results))
    results += _run(todo, out, config, num_workers, needs_asr, may_transcribe, show_progress)
    clips = sorted((c for r in results for c in r.clips), key=lambda c: c.id)
    rejects += [x for r in results for x in r.rejects]
    write_manifest(out / MANIFEST, clips)
    write_rejects(out / REJECTED, rejects)
    report = build_report(clips, rejects)
    write_text(out / "report.txt", report.text)
    return PrepareResult(clips=clips, rejects=rejects, report=report, out=out)


def _check_paths(src: Path, out: Path) -> None:
    if not src.exists():
        raise InputError(f"{src}: no such file or folder")
    src_dir = (src if src.is_dir() else src.parent).resolve()
    if out.resolve() == src_dir or out.resolve().is_relative_to(src_dir) and src.is_dir():
        raise InputError(f"output {out} is inside the source {src}; choose an output folder "
                         "outside it, so your recordings are never mixed with or overwritten "
                         "by prepared clips")


def _remove_partial_files(out: Path) -> None:
    """Delete temporary files a killed run left behind (see `voxtune.files.atomic_path`)."""
    for path in out.rglob(f".*{PARTIAL_MARK}*"):
        if path.is_file():
            path.unlink()


def _clip_names(utterances: list[Utterance]) -> tuple[list[tuple[Utterance, str]], list[Reject]]:
    """Give each utterance a safe, unique output name "SPEAKER/stem"; reject collisions."""
    named, seen, rejects = [], {}, []
    for utterance in utterances:
        speaker = safe_name(utterance.speaker)
        stem = utterance.id.removeprefix(f"{utterance.speaker}/")
        name = f"{speaker}/{safe_name(stem.replace('/', '_'))}"
        if name.casefold() in seen:
            rejects.append(Reject(source=str(utterance.audio), reason="duplicate_id",
                                  id=utterance.id,
                                  message=f"id {utterance.id!r} repeats {seen[name.casefold()]!r}"
                                  "; rename one of the files"))
            continue
        seen[name.casefold()] = utterance.id
        named.append((utterance, name))
    return named, rejects


def _source_key(utterance: Utterance, config_key: str) -> str:
    try:
        fingerprint = file_fingerprint(utterance.audio)
    except OSError:
        fingerprint = "missing"
    described = json.dumps([utterance.id, str(utterance.audio), utterance.speaker,
                            utterance.language, utterance.text, utterance.start, utterance.end,
                            fingerprint, config_key], ensure_ascii=False)
    return hashlib.sha256(described.encode()).hexdigest()


def _state_path(out: Path, utterance: Utterance) -> Path:
    return out / STATE_DIR / f"{hashlib.sha1(utterance.id.encode()).hexdigest()}.json"


def _load_state(out: Path, utterance: Utterance, key: str) -> SourceResult | None:
    path = _state_path(out, utterance)
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if state.get("key") != key:
        _remove_clips(out, state.get("clips", []))
        return None
    clips = [Clip(**c) for c in state["clips"]]
    if not all((out / c.audio).is_file() for c in clips):
        return None
    return SourceResult(clips=clips, rejects=[Reject(**r) for r in state["rejects"]])


def _remove_clips(out: Path, clips: list[dict]) -> None:
    """Delete clips an earlier run made from a source that has since changed (ours, not input)."""
    for clip in clips:
        for path in (out / clip["audio"], (out / clip["audio"]).with_suffix(".lab")):
            if path.resolve().is_relative_to(out.resolve()):
                path.unlink(missing_ok=True)


def _save_state(out: Path, utterance: Utterance, key: str, result: SourceResult) -> None:
    path = _state_path(out, utterance)
    write_text(path, json.dumps({"key": key, "clips": [c.to_json() for c in result.clips],
                                 "rejects": [r.to_json() for r in result.rejects]},
                                ensure_ascii=False))


_worker: dict = {}


def _init_worker(config: PrepareConfig, needs_asr: bool, threads: int) -> None:
    """Load the transcriber once per worker process (models are slow to load)."""
    if needs_asr:
        if threads and not config.asr.threads:
            config.asr.threads = threads
        _worker["transcriber"] = load_transcriber(config.asr)


def _work(utterance: Utterance, name: str, out: Path, config: PrepareConfig,
          may_transcribe: bool) -> SourceResult:
    transcriber: Transcriber | None = _worker.get("transcriber")
    return prepare_source(utterance, name, out, config, transcriber, may_transcribe)


def _run(todo: list[tuple[Utterance, str, str]], out: Path, config: PrepareConfig,
         num_workers: int, needs_asr: bool, may_transcribe: bool,
         show_progress: bool) -> list[SourceResult]:
    results = []
    bar = tqdm(total=len(todo), desc="prepare", unit="file", disable=not show_progress)
    threads = max(1, (os.cpu_count() or 1) // max(1, num_workers))
    try:
        if num_workers <= 1:
            _init_worker(config, needs_asr, 0)
            for utterance, name, key in todo:
                result = _work(utterance, name, out, config, may_transcribe)
                results.append(_finish(out, utterance, key, result, bar))
        else:
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(num_workers, mp_context=context, initializer=_init_worker,
                                     initargs=(config, needs_asr, threads)) as pool:
                futures = {pool.submit(_work, u, n, out, config, may_transcribe): (u, k)
                           for u, n, k in todo}
                for future in as_completed(futures):
                    utterance, key = futures[future]
                    results.append(_finish(out, utterance, key, future.result(), bar))
    finally:
        bar.close()
        _worker.clear()
    return results


def _finish(out: Path, utterance: Utterance, key: str, result: SourceResult,
            bar: tqdm) -> SourceResult:
    _save_state(out, utterance, key, result)
    if not bar.disable:
        for reject in result.rejects:
            bar.write(f"set aside {reject.id}: {reject.reason}: {reject.message}")
    bar.update(1)
    return result
