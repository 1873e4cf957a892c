#!/usr/bin/env bash
# Installs everything actloop needs on a fresh Debian/Ubuntu machine, idempotently:
#   - Mesa/EGL/OSMesa for offscreen MuJoCo rendering, g++ for torch.compile's CPU
#     kernels (policy --compile), and tcmalloc for faster CPU training steps
#     (scripts/cpu_allocator.sh) (Debian packages)
#   - a virtual environment in .venv with actloop and its extras
# Usage: bash scripts/install.sh [EXTRAS]   (default extras: dev,lerobot,hardware)
set -euo pipefail
cd "$(dirname "$0")/.."
EXTRAS="${1:-dev,lerobot,hardware}"
PYTHON="${PYTHON:-python3}"

SYSTEM_PACKAGES=(libegl1 libegl-mesa0 libgl1-mesa-dri libgbm1 libosmesa6 g++ libtcmalloc-minimal4)
missing=()
for pkg in "${SYSTEM_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "installing Debian packages (offscreen rendering, C++ compiler, tcmalloc): ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip
fi
.venv/bin/python -m pip install -q -e ".[${EXTRAS}]"
echo "actloop installed in $(pwd)/.venv (extras: ${EXTRAS})"
