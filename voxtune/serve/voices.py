"""Voice names, the same in every dialect, and what each one speaks with.

A name is, in this order:
- `default`: the first model's first speaker (or the voice `default_voice` names);
- a speaker a loaded model learned (the first model that knows the name speaks it);
- a reference id: a folder `VOICES/<id>/` holding a clip and its transcript beside it
  (`ref.wav` + `ref.lab`, fish-speech's `references/<id>/` layout; the first clip by name);
- a clip's path inside `VOICES` (`alice/hello.wav`, with `alice/hello.lab` beside it).

Merged voices (model folders) inside `VOICES` are loaded as models after `--model`'s.

Nothing outside `VOICES` is ever opened on a request's behalf: a path that is absolute,
climbs with `..`, or resolves through a link to a place outside the folder is refused
before anything is read, and the refusal does not say whether such a file exists. A name
that matches nothing is 404, never another voice.
"""

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from voxtune.errors import InputError
from voxtune.serve.errors import ServeError
from voxtune.shipped import SHIPPED_NAMES
from voxtune.tts.checkpoint import is_tts_folder
from voxtune.tts.synthesize import Synthesizer

log = logging.getLogger(__name__)

DEFAULT = "default"
AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a")
REFERENCE_ID = re.compile(r"^[A-Za-z0-9_\- ]{1,255}$")  # fish-speech's rule for reference ids
MAX_TRANSCRIPT_BYTES = 64 * 1024
LISTED_IN_ERRORS = 20
PICKLE_SUFFIXES = (".ckpt", ".pth", ".pt", ".bin", ".pkl", ".pickle")  # never loaded


@dataclass
class LoadedModel:
    """A TTS model the server holds, by the name clients use for it."""

    name: str
    synthesizer: Synthesizer


@dataclass(frozen=True)
class Reference:
    """A reference clip and what it says: the prompt of zero-shot cloning."""

    audio: Path
    text: str


@dataclass(frozen=True)
class Voice:
    """What a name resolved to: the model that speaks, and its prompt (a speaker the model
    learned, or a reference clip)."""

    name: str
    model: LoadedModel
    speaker: str | None = None
    reference: Reference | None = None


class VoiceRegistry:
    """The loaded models and the voices folder; resolves names (see the module docstring)."""

    def __init__(self, models: list[LoadedModel], voices: Path | None = None,
                 default_voice: str | None = None):
        names = [model.name for model in models]
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise InputError(f"two models are both named {twice[0]!r}; serve folders with "
                             "different names")
        self.models = models
        self.root = Path(voices).absolute() if voices is not None else None
        self.real_root = Path(os.path.realpath(self.root)) if self.root is not None else None
        self.default_voice = default_voice
        self.speakers: dict[str, LoadedModel] = {}
        for model in models:
            for speaker in model.synthesizer.speakers:
                self.speakers.setdefault(speaker, model)

    @classmethod
    def load(cls, models: list[str], voices: str | None = None, device: str = "auto",
             default_voice: str | None = None) -> "VoiceRegistry":
        """Load `models` (folders or shipped names), then the merged voices in `voices`."""
        root = Path(voices) if voices else None
        if root is not None and not root.is_dir():
            raise InputError(f"--voices {root}: not a folder; pass a folder of merged voices "
                             "and reference clips")
        sources = [str(model) for model in models]
        if root is not None:
            sources += [str(folder) for folder in sorted(root.iterdir())
                        if folder.is_dir() and is_tts_folder(folder)]
        loaded = []
        for source in sources:
            name = source if source in SHIPPED_NAMES else Path(source).name
            log.info("loading model %s from %s", name, source)
            loaded.append(LoadedModel(name, Synthesizer(source, device=device)))
        registry = cls(loaded, root, default_voice)
        if default_voice is not None:
            registry.resolve(default_voice)  # a default that names nothing fails at start
        return registry

    def model(self, name: str) -> LoadedModel | None:
        return next((model for model in self.models if model.name == name), None)

    def resolve(self, name: str, model: LoadedModel | None = None) -> Voice:
        """The voice `name` (restricted to `model`'s speakers when given); `ServeError` 404
        when nothing has that name, 400 when it is a path that leaves the voices folder."""
        if name == DEFAULT:
            return self._default(model)
        owner = self.speakers.get(name) if model is None else (
            model if name in model.synthesizer.speakers else None)
        if owner is not None:
            return Voice(name, owner, speaker=name)
        if self.root is not None and REFERENCE_ID.match(name):
            reference = self._reference_folder(name)
            if reference is not None:
                return Voice(name, model or self._first_model(name), reference=reference)
        if self.root is not None and _looks_like_path(name):
            reference = self._reference_path(name)
            return Voice(name, model or self._first_model(name), reference=reference)
        raise self._unknown(name)

    def names(self) -> list[str]:
        """Every voice by name: `default`, the speakers, the reference ids (clips are
        named by their paths and not listed)."""
        return ([DEFAULT] if self.models else []) + list(self.speakers) + self.reference_ids()

    def reference_ids(self) -> list[str]:
        """The folders of the voices folder that are reference ids (a clip with its
        transcript inside), by name."""
        ids = []
        if self.root is not None and self.root.is_dir():
            for folder in sorted(self.root.iterdir()):
                try:
                    if REFERENCE_ID.match(folder.name) and self._reference_folder(folder.name):
                        ids.append(folder.name)
                except ServeError:  # a folder that links outside is no voice
                    continue
        return ids

    def _default(self, model: LoadedModel | None) -> Voice:
        if self.default_voice is not None and model is None:
            voice = self.resolve(self.default_voice)
            return Voice(DEFAULT, voice.model, voice.speaker, voice.reference)
        model = model or (self.models[0] if self.models else None)
        if model is None or not model.synthesizer.speakers:
            raise ServeError(404, "there is no default voice: the first model learned no "
                             "speaker; name a reference clip as the voice, or start the "
                             "server with --default-voice", code="voice_not_found",
                             param="voice")
        return Voice(DEFAULT, model, speaker=model.synthesizer.speakers[0])

    def _first_model(self, name: str) -> LoadedModel:
        if not self.models:
            raise ServeError(404, f"voice {name!r}: this server has no TTS model to speak it",
                             code="model_not_found", param="model")
        return self.models[0]

    def _reference_folder(self, name: str) -> Reference | None:
        """The first clip with a transcript in `VOICES/<name>/`, or None."""
        folder = self._inside(self.root / name, name)
        if not folder.is_dir():
            return None
        for clip in sorted(folder.iterdir()):
            if clip.suffix.lower() in AUDIO_SUFFIXES:
                reference = self._clip(clip, f"{name}/{clip.name}")
                if reference is not None:
                    return reference
        return None

    def _reference_path(self, name: str) -> Reference:
        """The clip at `name`, a relative path inside the voices folder."""
        path = PurePosixPath(name)
        if _leaves_folder(name):
            raise ServeError(400, f"voice {name!r}: a voice path is relative to the voices "
                             "folder and stays inside it (no leading '/', no '..')",
                             code="voice_path_refused", param="voice")
        if path.suffix.lower() not in AUDIO_SUFFIXES:
            raise self._unknown(name)
        reference = self._clip(self.root / path, name)
        if reference is None:
            raise self._unknown(name)
        return reference

    def _clip(self, clip: Path, name: str) -> Reference | None:
        """A clip with its `.lab` beside it, both inside the voices folder, or None."""
        label = self._inside(clip.with_suffix(".lab"), name)
        clip = self._inside(clip, name)
        if not (clip.is_file() and label.is_file()):
            return None
        if label.stat().st_size > MAX_TRANSCRIPT_BYTES:
            raise ServeError(400, f"voice {name!r}: its transcript is longer than "
                             f"{MAX_TRANSCRIPT_BYTES} bytes", code="voice_unusable",
                             param="voice")
        text = label.read_text(encoding="utf-8", errors="replace").strip()
        return Reference(clip, text) if text else None

    def _inside(self, path: Path, name: str, kind: str = "voice") -> Path:
        """`path` with its links resolved, refused unless it stays in the voices folder.
        Only links inside the folder are read to find out; nothing they point to is.
        `kind` (voice, weights) is what the refusal calls `name`."""
        real = Path(os.path.realpath(path))
        if not real.is_relative_to(self.real_root):
            raise ServeError(400, f"{kind} {name!r} leads outside the voices folder (through a "
                             "link); only files inside it are served",
                             code=f"{kind}_path_refused", param=kind)
        return real

    def model_at(self, path: str) -> LoadedModel:
        """The model loaded at start from `path`, a merged voice folder inside the voices
        folder or a `.safetensors` file in one: how a client picks a model by its weights'
        path. Nothing is loaded here; a pickle checkpoint or a path that leaves the folder is
        refused before anything is read."""
        relative = PurePosixPath(path)
        if self.root is None:
            raise ServeError(404, f"{path!r}: this server has no voices folder; name a loaded "
                             "model", code="model_not_found")
        if _leaves_folder(path) or not relative.parts:
            raise ServeError(400, f"{path!r} is not a path inside the voices folder (relative, "
                             "no leading '/', no '..'); models are merged voice folders in "
                             "--voices", code="weights_path_refused")
        if relative.suffix.lower() in PICKLE_SUFFIXES:
            raise ServeError(400, f"{path!r} is a pickle checkpoint, which this server never "
                             "loads; name a merged voice folder in --voices, whose weights "
                             "are safetensors", code="weights_path_refused")
        folder = self._inside(self.root / relative.parts[0], path, "weights")
        model = self.model(relative.parts[0])
        if model is None or not is_tts_folder(folder):
            loaded = [m.name for m in self.models if is_tts_folder(self.root / m.name)]
            raise ServeError(404, f"no model was loaded from {relative.parts[0]!r} in the "
                             "voices folder (models load at start); use one of: "
                             f"{', '.join(loaded) or 'none'}", code="model_not_found")
        if len(relative.parts) > 1:
            weights = self._inside(self.root / relative, path, "weights")
            if relative.suffix.lower() != ".safetensors" or not weights.is_file():
                raise ServeError(404, f"{path!r} is not a .safetensors file of the voice "
                                 f"folder {model.name!r}; name the folder itself",
                                 code="model_not_found")
        return model

    def _unknown(self, name: str) -> ServeError:
        known = self.names()
        shown = ", ".join(known[:LISTED_IN_ERRORS]) + (", …" if len(known) > LISTED_IN_ERRORS
                                                       else "")
        paths = " or a clip's path inside the voices folder" if self.root is not None else ""
        return ServeError(404, f"no voice is named {name!r}; use one of: {shown or 'none'}"
                          f"{paths}", code="voice_not_found", param="voice")


def _leaves_folder(name: str) -> bool:
    """Whether a path, taken relative to the voices folder, could lead out of it."""
    path = PurePosixPath(name)
    return path.is_absolute() or "\\" in name or "\x00" in name or ".." in path.parts


def _looks_like_path(name: str) -> bool:
    return "/" in name or "\\" in name or name.lower().endswith(AUDIO_SUFFIXES)
