"""Datasets on disk: the layouts users bring, voxtune's manifest, preparation, conversion."""
