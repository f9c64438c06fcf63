"""Dataclass configs: defaults, YAML presets and key=value overrides."""

import pytest

from voxtune.config import dump_yaml, load_config
from voxtune.data.prepare_config import PrepareConfig
from voxtune.errors import ConfigError


def test_shipped_default_preset_equals_dataclass_defaults():
    assert load_config(PrepareConfig, "prepare") == PrepareConfig()


def test_yaml_then_overrides(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("audio: {sample_rate: 16000}\nslicer: {threshold: -30}\n")
    config = load_config(PrepareConfig, path, ["slicer.threshold=-45", "loudness.enabled=false",
                                               "asr.backend=none"])
    assert config.audio.sample_rate == 16000
    assert config.slicer.threshold == -45.0 and isinstance(config.slicer.threshold, float)
    assert config.loudness.enabled is False and config.asr.backend == "none"


def test_dump_reloads_to_the_same_config(tmp_path):
    config = load_config(PrepareConfig, "prepare-gptsovits", ["gate.min_snr_db=15"])
    path = tmp_path / "dump.yaml"
    path.write_text(dump_yaml(config))
    assert load_config(PrepareConfig, path) == config


@pytest.mark.parametrize("override, message", [
    ("slicer.thresh=3", "unknown config key 'slicer.thresh'"),
    ("slicer.threshold=loud", "should be of type float"),
    ("audio.sample_rate=16000.5", "should be of type int"),
    ("loudness", "key=value"),
    ("slicer=3", "must be a mapping"),
])
def test_bad_overrides_say_what_is_wrong(override, message):
    with pytest.raises(ConfigError, match=message):
        load_config(PrepareConfig, None, [override])


def test_unknown_preset_lists_presets():
    with pytest.raises(ConfigError, match="prepare-gptsovits"):
        load_config(PrepareConfig, "no-such-preset")
