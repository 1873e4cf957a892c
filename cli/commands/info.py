"""``actloop info``: versions and everything registered."""

from __future__ import annotations

import argparse
import importlib
import json
import platform
from importlib import metadata

NAME = "info"
HELP = "Show versions and the registered embodiments, tasks and policies."

PACKAGES = ("actloop", "numpy", "torch", "mujoco", "zarr", "transformers", "timm", "diffusers")

# (what, module, function): each room exposes a list_* function for its registry.
REGISTRIES = (
    ("embodiments", "actloop.control", "list_embodiments"),
    ("tasks", "actloop.sim", "list_tasks"),
    ("policies", "actloop.policies", "list_policies"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def collect_info() -> dict:
    versions = {"python": platform.python_version()}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    registered = {
        what: getattr(importlib.import_module(module), function)()
        for what, module, function in REGISTRIES
    }
    return {"versions": versions, "registered": registered}


def run(args: argparse.Namespace) -> int:
    info = collect_info()
    if args.json:
        print(json.dumps(info, indent=2))
        return 0
    print("actloop", info["versions"]["actloop"])
    for package, version in info["versions"].items():
        print(f"  {package:<13} {version}")
    for what, names in info["registered"].items():
        print(f"{what} ({len(names)}):")
        for name in names:
            print(f"  {name}")
    return 0
