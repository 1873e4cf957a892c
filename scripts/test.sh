#!/usr/bin/env bash
# The README's test command: install (idempotent), then run the whole test suite,
# including the slow end-to-end checks. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh dev,lerobot,hardware
export MUJOCO_GL="${MUJOCO_GL:-egl}"
exec .venv/bin/python -m pytest "$@"
