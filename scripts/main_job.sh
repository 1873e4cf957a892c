#!/usr/bin/env bash
# The README's main job on its embedded default: collect expert demos in MuJoCo, train the
# `small` VLA policy on the CPU, evaluate it with confidence intervals, write the report.
# Installs what it needs first (idempotent). Extra arguments go to `actloop pipeline`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh dev
export MUJOCO_GL="${MUJOCO_GL:-egl}"
source scripts/cpu_allocator.sh
exec .venv/bin/actloop pipeline "$@"
