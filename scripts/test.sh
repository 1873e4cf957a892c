#!/usr/bin/env bash
# The README's test command: install (idempotent), then run the whole test suite,
# including the slow end-to-end checks. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh dev,lerobot,hardware
export MUJOCO_GL="${MUJOCO_GL:-egl}"
# -P: never put the repository root on sys.path (its datasets/ would shadow HF datasets)
export PYTHONSAFEPATH=1
exec .venv/bin/python -P -m pytest "$@"
