"""Config overrides from files and command-line flags, by dotted key (``optim.lr``).

Every value is checked against the dataclass field's type, and unknown keys are errors
with a 'did you mean', so a typo never silently trains with the default. Files are JSON
or YAML read with ``yaml.safe_load``: data only, never code.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import typing
from pathlib import Path
from typing import Any

import yaml
from actloop.control import unknown_name_message


def field_types(cls: type, prefix: str = "") -> dict[str, Any]:
    """Dotted key -> type for every leaf field of a (nested) dataclass."""
    hints = typing.get_type_hints(cls)
    out: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        hint = hints[f.name]
        if dataclasses.is_dataclass(hint):
            out.update(field_types(hint, f"{prefix}{f.name}."))
        else:
            out[f"{prefix}{f.name}"] = hint
    return out


def flatten(mapping: dict, prefix: str = "") -> dict[str, Any]:
    """{'optim': {'lr': 1}} -> {'optim.lr': 1}."""
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def load_override_file(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"config file {path} does not exist")
    text = path.read_text()
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot parse config ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a config file must hold a mapping, got {type(data).__name__}")
    return flatten(data)


def apply_overrides(config: Any, overrides: dict[str, Any], source: str = "override") -> Any:
    """Set dotted keys on ``config`` in place, checking names and types."""
    types = field_types(type(config))
    for key, value in overrides.items():
        if key not in types:
            raise KeyError(f"{source}: {unknown_name_message('config key', key, types)}")
        target = config
        *parents, leaf = key.split(".")
        for name in parents:
            target = getattr(target, name)
        setattr(target, leaf, coerce(value, types[key], f"{source}: {key}"))
    return config


def coerce(value: Any, hint: Any, where: str) -> Any:
    """Check (and gently convert: int -> float, list -> tuple) one value against a type."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (list, tuple):
        if not isinstance(value, list | tuple):
            raise ValueError(f"{where}: expected a list, got {value!r}")
        if origin is tuple and len(args) != len(value):
            raise ValueError(f"{where}: expected {len(args)} values, got {len(value)}")
        item_types = args if origin is tuple else [args[0]] * len(value)
        pairs = enumerate(zip(value, item_types, strict=True))
        items = [coerce(v, t, f"{where}[{i}]") for i, (v, t) in pairs]
        return origin(items)
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint in (int, str, bool) and type(value) is hint:
        return value
    raise ValueError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")


def add_config_flags(
    parser: argparse.ArgumentParser, cls: type, skip: tuple[str, ...] = ()
) -> None:
    """One ``--dotted.key`` flag per leaf field; flags not given stay out of the namespace."""
    group = parser.add_argument_group("config fields (override preset and --config file)")
    for key, hint in field_types(cls).items():
        if key in skip:
            continue
        group.add_argument(
            f"--{key}", dest=f"cfg:{key}", default=argparse.SUPPRESS, **_flag_kind(hint)
        )


def flags_given(args: argparse.Namespace) -> dict[str, Any]:
    return {k[4:]: v for k, v in vars(args).items() if k.startswith("cfg:")}


def _flag_kind(hint: Any) -> dict[str, Any]:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is bool:
        return {"action": argparse.BooleanOptionalAction}
    if origin is tuple:
        return {"type": args[0], "nargs": len(args), "metavar": args[0].__name__.upper()}
    if origin is list:
        return {"type": args[0], "nargs": "*", "metavar": args[0].__name__.upper()}
    return {"type": hint, "metavar": hint.__name__.upper()}
