"""Decoding codes to audio while they are still being generated, in chunks that join exactly.

A codec whose decoder has a small, known receptive field (`Codec.decode_context`, in
frames; VoxCodec's is about half a second) gives the same samples for a frame whether it
decodes the whole sequence or a window that holds that frame and `decode_context` frames
on either side. So each chunk is decoded with that much context from the codes around it
and only its middle is kept: the joins are sample-for-sample those of decoding the whole
piece at once, with no overlap to cross-fade and no click. The price is latency: a frame
is sent once `decode_context` frames after it exist. A codec without a known context
(`decode_context` None) is decoded once its piece is complete.
"""

import numpy as np
import torch

from voxtune.codec.base import Codec, codec_device

# Fewer new frames than this wait for the next call: each call decodes 2 × decode_context
# frames of context besides the frames it keeps.
MIN_CHUNK_FRAMES = 8


class ChunkedDecoder:
    """Decodes one growing code sequence; `feed` returns the audio that became final.

    `whole` decodes only once the sequence is final, for audio that must be processed whole
    afterwards (a speed change)."""

    def __init__(self, codec: Codec, whole: bool = False):
        self.codec = codec
        self.context = None if whole else codec.decode_context
        self.done = 0  # frames whose audio has been returned

    def feed(self, codes: np.ndarray, final: bool) -> np.ndarray:
        """Codes [K, n] generated so far (a prefix of the final sequence; `final`: there is no
        more) → float32 samples at the codec's rate for the frames that can now be decoded
        exactly; an empty array when there are none yet."""
        frames = codes.shape[1]
        if final:
            ready = frames
        elif self.context is None:
            ready = self.done
        else:
            ready = frames - self.context
        if ready - self.done < (1 if final else MIN_CHUNK_FRAMES):
            return np.zeros(0, dtype=np.float32)
        context = self.context or 0
        start = max(0, self.done - context)
        stop = frames if final else ready + context
        audio = decode_frames(self.codec, codes[:, start:stop])
        per_frame = len(audio) // (stop - start)
        kept = audio[(self.done - start) * per_frame:(ready - start) * per_frame]
        self.done = ready
        return kept


def decode_frames(codec: Codec, codes: np.ndarray) -> np.ndarray:
    """Codes [K, n] of one sequence → float32 samples [n × samples per frame]."""
    if codes.shape[1] == 0:
        return np.zeros(0, dtype=np.float32)
    tensor = torch.from_numpy(np.ascontiguousarray(codes))[None].to(codec_device(codec))
    wavs, lengths = codec.decode(tensor, torch.tensor([codes.shape[1]]))
    return wavs[0, :int(lengths[0])].float().cpu().numpy()
