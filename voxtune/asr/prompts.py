"""Fun-ASR task prompts and the ChatML text around the audio.

The user turn of a Fun-ASR conversation starts with a task prompt that says what to do with
the speech: `语音转写：` (transcribe), `语音转写成英文：` (transcribe into English),
`语音转写，不进行文本规整：` (transcribe without text normalisation, i.e. no inverse text
normalisation of numbers and the like), or both; voxtune's English wording says the same:
`Speech transcription: `, `Speech transcription in English: `,
`Speech transcription, no text normalization: `. A model learns the prompts of its
training data, so decoding asks in the wording the model was trained on (`restyle`).

The ChatML conversation is written out as Fun-ASR does, by hand rather than through a
tokenizer's chat template (whose extras, such as Qwen3's thinking block, differ between
models):

    <|im_start|>system\\n{system}<|im_end|>\\n<|im_start|>user\\n{prompt}<|startofspeech|>
    [audio embeddings]<|endofspeech|>{suffix}<|im_end|>\\n<|im_start|>assistant\\n{text}<|im_end|>
"""

import re
from dataclasses import dataclass

from voxtune.data.layouts.chatml import END, START
from voxtune.data.layouts.options import SYSTEM

__all__ = ["SYSTEM", "TaskPrompt", "conversation", "known_prompts", "parse_prompt", "restyle"]

IM_START, IM_END = "<|im_start|>", "<|im_end|>"

# Language codes ↔ the names Fun-ASR's prompts use, and voxtune's English names.
LANGUAGE_NAMES_ZH = {"zh": "中文", "en": "英文", "ja": "日文", "ko": "韩文", "yue": "粤语"}
LANGUAGE_NAMES_EN = {"zh": "Chinese", "en": "English", "ja": "Japanese", "ko": "Korean",
                     "yue": "Cantonese"}

_ZH = re.compile(r"^语音转写(?:成(?P<language>[^，：]+))?(?P<no_itn>，不进行文本规整)?：$")
_EN = re.compile(r"^Speech transcription(?: in (?P<language>[A-Za-z]+))?"
                 r"(?P<no_itn>, no text normalization)?: ?$")


@dataclass(frozen=True)
class TaskPrompt:
    """What a task prompt asks: the target `language` (an ISO code, or the name as written
    when voxtune does not know it; None: the speech's own) and whether the text is to be
    normalised (`itn`), in Chinese (`style` "zh", Fun-ASR's) or English ("en") wording."""

    language: str | None = None
    itn: bool = True
    style: str = "zh"

    def text(self) -> str:
        """The prompt as written before `<|startofspeech|>`."""
        if self.style == "zh":
            name = LANGUAGE_NAMES_ZH.get(self.language or "", self.language)
            return (f"语音转写{f'成{name}' if name else ''}"
                    f"{'' if self.itn else '，不进行文本规整'}：")
        name = LANGUAGE_NAMES_EN.get(self.language or "", self.language)
        return (f"Speech transcription{f' in {name}' if name else ''}"
                f"{'' if self.itn else ', no text normalization'}: ")


def parse_prompt(prompt: str) -> TaskPrompt | None:
    """The task a prompt asks for, or None if it is not one of the known task prompts (it is
    then used as written: Fun-ASR models also take free-form instructions)."""
    for style, pattern, names in (("zh", _ZH, LANGUAGE_NAMES_ZH), ("en", _EN, LANGUAGE_NAMES_EN)):
        match = pattern.match(prompt)
        if match:
            written = match.group("language")
            codes = {name: code for code, name in names.items()}
            return TaskPrompt(language=codes.get(written, written) if written else None,
                              itn=match.group("no_itn") is None, style=style)
    return None


def restyle(trained: str, language: str | None = None, itn: bool | None = None) -> str:
    """`trained` (a model's usual prompt) asking for `language` and/or `itn` instead, in the
    same wording; `trained` itself when nothing is asked or it is not a known task prompt."""
    task = parse_prompt(trained)
    if task is None or (language is None and itn is None):
        return trained
    return TaskPrompt(language=language if language is not None else task.language,
                      itn=itn if itn is not None else task.itn, style=task.style).text()


def known_prompts() -> list[str]:
    """Every task prompt for the languages voxtune names, in both wordings (so a tokenizer
    built for a model can spell any of them)."""
    return sorted({TaskPrompt(language, itn, style).text()
                   for style in ("zh", "en") for itn in (True, False)
                   for language in (None, *LANGUAGE_NAMES_ZH)})


def conversation(system: str, prompt: str, suffix: str = "") -> tuple[str, str]:
    """The ChatML text before the audio and after it (up to where the transcript starts)."""
    before = f"{IM_START}system\n{system}{IM_END}\n{IM_START}user\n{prompt}{START}"
    after = f"{END}{suffix}{IM_END}\n{IM_START}assistant\n"
    return before, after
