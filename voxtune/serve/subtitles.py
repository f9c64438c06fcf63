"""Timed transcripts as subtitle files: SubRip (.srt) and WebVTT (.vtt), one cue per
segment, as Whisper writes them."""

from voxtune.labeling import Segment


def srt(segments: tuple[Segment, ...]) -> str:
    """SubRip: numbered cues, times as HH:MM:SS,mmm."""
    cues = [f"{number}\n{_clock(s.start, ',')} --> {_clock(s.end, ',')}\n{s.text}\n"
            for number, s in enumerate(segments, start=1)]
    return "\n".join(cues)


def vtt(segments: tuple[Segment, ...]) -> str:
    """WebVTT: a header, then cues with times as HH:MM:SS.mmm."""
    cues = [f"{_clock(s.start, '.')} --> {_clock(s.end, '.')}\n{s.text}\n" for s in segments]
    return "WEBVTT\n\n" + "\n".join(cues)


def _clock(seconds: float, mark: str) -> str:
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{mark}{millis:03d}"
