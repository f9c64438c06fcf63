"""Reference ids a client adds, renames and deletes (fish-speech's `/v1/references/*`).

A reference id is a folder `VOICES/<id>/` holding `ref.wav` and `ref.lab`, the layout
`VoiceRegistry` reads, so an id added here is a voice of every dialect at once and a
rename or a delete takes effect on the next request. An id is fish-speech's: 1–255
letters, digits, `-`, `_` and spaces, so it can be nothing but one folder name inside
the voices folder (no separator, no `.`, hence no `..`).

No one ever sees half a reference: a new one is written into a hidden folder inside
`VOICES` and renamed to its id when complete (one atomic rename on one file system); a
deleted one is renamed to a hidden name first, then removed (a link is unlinked, never
followed). Only reference ids are renamed or deleted: other folders of `VOICES` (merged
voices, clips used by path) are not this API's to touch. The functions block, so routes
call them in a thread; one lock orders them within the server.
"""

import os
import shutil
import threading
import uuid
from pathlib import Path

import numpy as np

from voxtune.audio.io import write_audio
from voxtune.files import write_text
from voxtune.serve.errors import ServeError
from voxtune.serve.voices import DEFAULT, MAX_TRANSCRIPT_BYTES, REFERENCE_ID, VoiceRegistry
from voxtune.tts.checkpoint import is_tts_folder

CLIP, LABEL = "ref.wav", "ref.lab"
SHOWN_CHARS = 64  # of a refused id, in messages

_lock = threading.Lock()


def voices_folder(registry: VoiceRegistry) -> Path:
    """The voices folder, where reference ids live; 400 when the server has none."""
    if registry.root is None:
        raise ServeError(400, "this server keeps no reference voices: start it with --voices "
                         "FOLDER to add, rename and delete them", code="no_voices_folder")
    return registry.root


def check_reference_id(value: object, param: str) -> str:
    """`value` as a reference id; `ServeError` 400 naming `param` unless it is one."""
    if not isinstance(value, str) or not value.strip():
        raise ServeError(400, f"{param} is required: a reference id such as 'alice'",
                         code="invalid_value", param=param)
    if not REFERENCE_ID.match(value):
        raise ServeError(400, f"{param} {value[:SHOWN_CHARS]!r} is not a reference id: use "
                         "1–255 letters, digits, '-', '_' or spaces (no '/', no '.'); it "
                         "names one folder inside --voices", code="invalid_value",
                         param=param)
    return value


def check_transcript(text: object, param: str) -> str:
    """The transcript of a reference clip, stripped; 400 when missing or too long."""
    if not isinstance(text, str) or not text.strip():
        raise ServeError(400, f"{param} is required: what the reference clip says",
                         code="invalid_value", param=param)
    if len(text.encode()) > MAX_TRANSCRIPT_BYTES:
        raise ServeError(400, f"{param} is longer than {MAX_TRANSCRIPT_BYTES} bytes; a "
                         "reference is a short clip and its transcript", code="invalid_value",
                         param=param)
    return text.strip()


def add_reference(registry: VoiceRegistry, ref_id: str, samples: np.ndarray, rate: int,
                  text: str) -> None:
    """Write `VOICES/<ref_id>/` (16-bit WAV at `rate` Hz, and the transcript); 409 when
    the id is taken by a folder, a file or a voice a model learned."""
    root = voices_folder(registry)
    with _lock:
        _check_free(registry, ref_id, "id")
        staging = root / f".adding-{uuid.uuid4().hex}"
        staging.mkdir()
        try:
            write_audio(staging / CLIP, samples, rate)
            write_text(staging / LABEL, text + "\n")
            os.rename(staging, root / ref_id)
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # gone already when renamed


def delete_reference(registry: VoiceRegistry, ref_id: str) -> None:
    """Remove the reference id `ref_id`; 404 when there is none."""
    root = voices_folder(registry)
    with _lock:
        _check_reference(registry, ref_id, "reference_id")
        doomed = root / f".deleting-{uuid.uuid4().hex}"
        os.rename(root / ref_id, doomed)
        if doomed.is_symlink():
            doomed.unlink()
        else:
            shutil.rmtree(doomed)


def rename_reference(registry: VoiceRegistry, old: str, new: str) -> None:
    """Rename the reference id `old` to `new`; 404 without `old`, 409 when `new` is taken."""
    root = voices_folder(registry)
    if old == new:
        raise ServeError(400, f"new_reference_id {new!r} is old_reference_id: nothing to "
                         "rename", code="invalid_value", param="new_reference_id")
    with _lock:
        _check_reference(registry, old, "old_reference_id")
        _check_free(registry, new, "new_reference_id")
        os.rename(root / old, root / new)


def _check_free(registry: VoiceRegistry, ref_id: str, param: str) -> None:
    if ref_id == DEFAULT or ref_id in registry.speakers:
        raise ServeError(409, f"{param} {ref_id!r} already names a voice ('default' or a "
                         "speaker a model learned, which wins over a reference); choose "
                         "another id",
                         code="reference_exists", param=param)
    if os.path.lexists(voices_folder(registry) / ref_id):
        raise ServeError(409, f"{param} {ref_id!r} already exists in the voices folder; "
                         "delete it first or choose another id", code="reference_exists",
                         param=param)


def _check_reference(registry: VoiceRegistry, ref_id: str, param: str) -> None:
    if ref_id not in registry.reference_ids():
        raise ServeError(404, f"{param} {ref_id!r}: there is no such reference id; GET "
                         "/v1/references/list names them", code="reference_not_found",
                         param=param)
    if is_tts_folder(voices_folder(registry) / ref_id):
        raise ServeError(409, f"{param} {ref_id!r} is a merged voice (a model loaded at "
                         "start), not a reference; change it in the voices folder itself",
                         code="reference_is_model", param=param)
