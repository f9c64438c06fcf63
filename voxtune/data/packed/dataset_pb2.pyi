from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Semantics(_message.Message):
    __slots__ = ("values",)
    VALUES_FIELD_NUMBER: _ClassVar[int]
    values: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, values: _Optional[_Iterable[int]] = ...) -> None: ...

class Sentence(_message.Message):
    __slots__ = ("id", "text", "phonemes", "semantics", "language", "duration")
    ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    PHONEMES_FIELD_NUMBER: _ClassVar[int]
    SEMANTICS_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    id: str
    text: str
    phonemes: _containers.RepeatedScalarFieldContainer[str]
    semantics: _containers.RepeatedCompositeFieldContainer[Semantics]
    language: str
    duration: float
    def __init__(self, id: _Optional[str] = ..., text: _Optional[str] = ..., phonemes: _Optional[_Iterable[str]] = ..., semantics: _Optional[_Iterable[_Union[Semantics, _Mapping]]] = ..., language: _Optional[str] = ..., duration: _Optional[float] = ...) -> None: ...

class SpeakerData(_message.Message):
    __slots__ = ("speaker", "sentences")
    SPEAKER_FIELD_NUMBER: _ClassVar[int]
    SENTENCES_FIELD_NUMBER: _ClassVar[int]
    speaker: str
    sentences: _containers.RepeatedCompositeFieldContainer[Sentence]
    def __init__(self, speaker: _Optional[str] = ..., sentences: _Optional[_Iterable[_Union[Sentence, _Mapping]]] = ...) -> None: ...
