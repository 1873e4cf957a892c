"""MuJoCo robot models built with MjSpec from published kinematic parameters."""

from .so101 import build_so101

__all__ = ["build_so101"]
