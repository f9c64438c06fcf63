"""How `write_layout` exports: copying audio, counting tokens, Fun-ASR prompts."""

from dataclasses import dataclass

PROMPT_ZH = "语音转写："
PROMPT_EN = "Speech transcription: "
SYSTEM = "You are a helpful assistant."


@dataclass(frozen=True)
class ExportOptions:
    """Choices for writing a layout.

    * `copy_audio`: folder layouts (folders, longform, manifest) copy each audio file into
      the output; False makes symlinks to the originals instead (saves disk; do not edit
      through them). List layouts (gptsovits, vits, kaldi, chatml) always reference the
      original file by absolute path. Source files are never modified or moved.
    * `tokenizer`: how ChatML `text_length` is counted: "chars" (one token per character,
      as Fun-ASR's char tokenizer), a `tokenizer.json` path, a tokenizer folder or a
      Hugging Face hub id (see `voxtune.data.tokens`).
    * `prompt`, `system`: Fun-ASR task prompt and system prompt, used for utterances that do
      not carry their own (`Utterance.extra["prompt"]` / `["system"]`). `PROMPT_EN` is the
      English task prompt.
    """

    copy_audio: bool = True
    tokenizer: str = "chars"
    prompt: str = PROMPT_ZH
    system: str = SYSTEM
