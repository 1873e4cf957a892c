"""Suite-wide environment: offscreen rendering and no network, whatever the caller set.

The rooms sit at the repository root, so ``python -m pytest`` (which prepends the
working directory to ``sys.path``) would make our ``datasets/`` folder shadow Hugging
Face ``datasets`` for lerobot and transformers. The installed ``actloop`` never needs the
root on the path: drop it here, and keep child interpreters from adding it back
(``PYTHONSAFEPATH``).
"""

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != REPO]
os.environ["PYTHONSAFEPATH"] = "1"

os.environ.setdefault("MUJOCO_GL", "egl")
os.environ.setdefault("PYOPENGL_PLATFORM", os.environ["MUJOCO_GL"])
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ.setdefault("WANDB_MODE", "disabled")
