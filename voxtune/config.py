"""One config system for every stage: dataclasses, YAML presets, `key=value` overrides.

A config is a (possibly nested) dataclass whose defaults work. A YAML file may set any
subset of its fields, and command-line overrides such as `slicer.threshold=-40` or
`loudness.enabled=false` are applied on top, in that order. Values in overrides are parsed
as YAML scalars, so `true`, `3.5`, `null` and `[a, b]` mean what they look like.
"""

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml

from voxtune.errors import ConfigError

C = TypeVar("C")

PRESET_DIR = Path(__file__).parent / "configs"


def load_config(cls: type[C], path: str | Path | None = None,
                overrides: list[str] | None = None) -> C:
    """Build `cls` from its defaults, then a YAML file (or shipped preset name), then overrides."""
    values: dict[str, Any] = {}
    if path is not None:
        values = _read_yaml(_resolve_preset(path))
    for item in overrides or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"override {item!r} is not of the form key=value "
                              "(for example slicer.threshold=-40)")
        _set_dotted(values, key.strip(), yaml.safe_load(raw) if raw.strip() else "")
    return from_dict(cls, values)


def from_dict(cls: type[C], values: dict[str, Any], prefix: str = "") -> C:
    """Build dataclass `cls` from a nested dict, checking names and types field by field."""
    if not isinstance(values, dict):
        raise ConfigError(f"{prefix or 'config'} must be a mapping, got {values!r}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise ConfigError(f"unknown config key {prefix + unknown[0]!r}; "
                          f"valid keys here: {', '.join(sorted(fields))}")
    kwargs = {}
    for name, value in values.items():
        kwargs[name] = _coerce(hints[name], value, f"{prefix}{name}")
    return cls(**kwargs)


def to_dict(config: Any) -> dict[str, Any]:
    """The config as plain data (for YAML dumps and for recording what a run used)."""
    return dataclasses.asdict(config)


def dump_yaml(config: Any) -> str:
    """The config as YAML text, the same shape `load_config` reads."""
    return yaml.safe_dump(to_dict(config), sort_keys=False, allow_unicode=True)


def _resolve_preset(path: str | Path) -> Path:
    candidate = Path(path)
    if candidate.is_file():
        return candidate
    preset = PRESET_DIR / f"{path}.yaml"
    if preset.is_file():
        return preset
    names = sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))
    raise ConfigError(f"config {str(path)!r} is neither a file nor a shipped preset "
                      f"(presets: {', '.join(names) or 'none'})")


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"config {path}: cannot be read as YAML ({exc})") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config {path}: the top level must be a mapping of keys to values")
    return data


def _set_dotted(values: dict[str, Any], key: str, value: Any) -> None:
    *parents, last = key.split(".")
    node = values
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise ConfigError(f"override {key}: {part!r} is a value, not a group of keys")
    node[last] = value


def _coerce(hint: Any, value: Any, where: str) -> Any:
    """Check `value` against a field's type, converting the lossless cases (int → float)."""
    if dataclasses.is_dataclass(hint):
        return from_dict(hint, value if value is not None else {}, prefix=f"{where}.")
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(hint)
        if value is None and type(None) in options:
            return None
        errors = []
        for option in options:
            if option is type(None):
                continue
            try:
                return _coerce(option, value, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if errors else f"{where}: bad value {value!r}")
    if origin is typing.Literal:
        allowed = typing.get_args(hint)
        if value not in allowed:
            raise ConfigError(f"{where} = {value!r} is not one of {', '.join(map(str, allowed))}")
        return value
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where} = {value!r} should be a list, like [a, b]")
        (item_hint, *_) = typing.get_args(hint) or (Any,)
        items = [_coerce(item_hint, v, f"{where}[{i}]") for i, v in enumerate(value)]
        return tuple(items) if origin is tuple else items
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is str and isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    if hint in (bool, int, float, str) and not (
        isinstance(value, hint) and not (hint is int and isinstance(value, bool))
    ):
        raise ConfigError(f"{where} = {value!r} should be of type {hint.__name__}")
    return value
