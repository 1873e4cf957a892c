"""Where an eval policy comes from, chosen by a ``--policy`` string.

``expert`` is each task's scripted expert (checks the pipeline with no model),
a directory is a ``VLAPolicy`` checkpoint, and ``lerobot:DIR`` is a LeRobot policy
behind the adapter. One registry of prefixes; a bare path means a checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from actloop.control import Policy, unknown_name_message


def _expert(_: str, task: str, mode: str | None) -> Policy:
    from actloop.sim import make_expert

    return make_expert(task)


def _checkpoint(path: str, task: str, mode: str | None) -> Policy:
    from actloop.policies import VLAPolicy

    if not Path(path).is_dir():
        raise FileNotFoundError(f"policy checkpoint {path} is not a directory")
    policy = VLAPolicy.from_pretrained(path)
    if mode:
        policy.mode = mode
    return policy.eval()


def _lerobot(path: str, task: str, mode: str | None) -> Policy:
    from .lerobot_adapter import LeRobotPolicyAdapter

    return LeRobotPolicyAdapter.from_pretrained(path, task)


# prefix -> loader(argument, task, mode). "expert" takes no argument.
SOURCES: dict[str, Callable[[str, str, str | None], Policy]] = {
    "expert": _expert,
    "checkpoint": _checkpoint,
    "lerobot": _lerobot,
}


def parse_source(spec: str) -> tuple[str, str]:
    """'expert' -> ('expert', ''); 'lerobot:/x' -> ('lerobot', '/x'); a path -> checkpoint."""
    if spec in SOURCES:
        return spec, ""
    prefix, sep, rest = spec.partition(":")
    if sep and prefix in SOURCES:
        return prefix, rest
    if sep and len(prefix) > 1 and not Path(spec).exists():
        raise KeyError(unknown_name_message("policy source", prefix, SOURCES))
    return "checkpoint", spec


def load_policy(spec: str, task: str, mode: str | None = None) -> Policy:
    kind, argument = parse_source(spec)
    return SOURCES[kind](argument, task, mode)


def compiled_inference(policy: Policy, spec: str) -> Policy:
    """``policy`` with its inference compiled; only a VLAPolicy has that."""
    if not hasattr(policy, "compile_inference"):
        raise ValueError(f"--compile needs a VLAPolicy checkpoint; policy {spec!r} is not one")
    return policy.compile_inference()
