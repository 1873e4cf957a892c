"""Scripted experts for every registered task."""

from .expert import ScriptedExpert, make_expert

__all__ = ["ScriptedExpert", "make_expert"]
