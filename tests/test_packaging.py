"""The rooms install only under ``actloop.``, from both editable and wheel installs."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ROOMS = ("control", "policies", "sim", "datasets", "hardware", "train", "eval", "cli")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        cwd=out,
    )
    [built] = out.glob("actloop-*.whl")
    return built


def test_wheel_holds_every_room_under_the_actloop_namespace(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {n.split("/")[0] for n in names if not n.startswith("actloop-")}
    assert top_level == {"actloop"}, f"unexpected top-level entries: {top_level - {'actloop'}}"
    for room in ROOMS:
        assert f"actloop/{room}/__init__.py" in names
    assert not any(n.startswith(("datasets/", "tests/", "benchmarks/")) for n in names)
    assert "actloop/control/catalog.py" in names


IMPORT_ALL = "; ".join(f"import actloop.{room}" for room in ROOMS)


def test_wheel_contents_import_every_room(wheel, tmp_path):
    zipfile.ZipFile(wheel).extractall(tmp_path)
    # Drop the editable finder so only the unpacked wheel can satisfy the imports.
    code = (
        "import sys; "
        "sys.meta_path[:] = [f for f in sys.meta_path if 'Editable' not in type(f).__name__]; "
        f"sys.path.insert(0, {str(tmp_path)!r}); {IMPORT_ALL}; import actloop.control as c; "
        f"assert c.__file__.startswith({str(tmp_path)!r}), c.__file__; print('ok')"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "MUJOCO_GL": "egl"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_installed_package_imports_from_outside_the_repository(tmp_path):
    code = f"{IMPORT_ALL}; import actloop.datasets as d; print(d.__name__)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "actloop.datasets"


def test_no_top_level_datasets_module_shadows_hugging_face(tmp_path):
    code = "import importlib.util as u; s = u.find_spec('datasets'); print(s.origin if s else None)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path
    )
    origin = result.stdout.strip()
    assert origin == "None" or ("site-packages" in origin and "actloop" not in origin)
