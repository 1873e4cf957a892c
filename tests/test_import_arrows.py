"""The rooms import each other only along the arrows in DESIGN.md.

``control`` is the shared contract every room may use; it itself may use only numpy
and the standard library. ``policies`` may take only the statistics types from
``datasets``. The CLI is a thin layer over all rooms and is not checked.
"""

import ast
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ALLOWED = {
    "control": set(),
    "sim": {"control"},
    "hardware": {"control"},
    "datasets": {"control"},
    "policies": {"control", "datasets"},
    "train": {"control", "policies", "datasets", "eval"},
    "eval": {"control", "sim", "policies"},
}
POLICIES_MAY_TAKE_FROM_DATASETS = {"actloop.datasets.stats", "actloop.datasets"}
STATS_NAMES = {"NormStats", "KeyStats"}


def takes_only_stats(module: str, names: list[str]) -> bool:
    if module == "actloop.datasets":
        return set(names) <= STATS_NAMES
    return module in POLICIES_MAY_TAKE_FROM_DATASETS


def imported_modules(path: Path) -> list[tuple[str, list[str]]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [alias.name for alias in node.names]))
    return found


def room_files(room: str) -> list[Path]:
    return sorted((REPO / room).rglob("*.py"))


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_room_imports_follow_the_arrows(room):
    violations = []
    for path in room_files(room):
        for module, names in imported_modules(path):
            parts = module.split(".")
            if parts[0] != "actloop" or len(parts) < 2 or parts[1] == room:
                continue
            other = parts[1]
            if other not in ALLOWED[room]:
                violations.append(f"{path.relative_to(REPO)} imports {module}")
            elif room == "policies" and other == "datasets" and not takes_only_stats(module, names):
                violations.append(f"{path.relative_to(REPO)} takes {names} from {module}")
    assert not violations, "\n".join(violations)


def test_control_uses_only_numpy_and_the_standard_library():
    allowed = set(sys.stdlib_module_names) | {"numpy", "actloop"}
    foreign = sorted(
        f"{path.relative_to(REPO)}: {module}"
        for path in room_files("control")
        for module, _ in imported_modules(path)
        if module.split(".")[0] not in allowed
    )
    assert not foreign, foreign
