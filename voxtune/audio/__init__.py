"""Audio signal steps: decoding, loudness, slicing, VAD, denoising, quality measures."""
