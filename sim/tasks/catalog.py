"""The registered tasks: each is a task family with one robot's sizes, region and limits."""

from __future__ import annotations

from ..scene import Layout
from .base import register_task
from .drawer import OpenDrawer
from .families import PickPlace, PressButton, Reach, Stack
from .push import Push

PANDA_REGION = (0.38, 0.62, -0.22, 0.22)
SO101_REGION = (0.12, 0.21, -0.1, 0.1)


@register_task
class PandaReach(Reach):
    name, robot, time_limit, region = "panda/reach", "panda", 6.0, PANDA_REGION
    layout = Layout(markers=4, distractors=2, drawer=True)
    heights = (0.05, 0.24)  # up to the hand's home height, so the front camera frames them


@register_task
class PandaPickPlace(PickPlace):
    name, robot, time_limit, region = "panda/pick_place", "panda", 12.0, PANDA_REGION
    layout = Layout(cubes=2, cube_half=0.02, pads=2, pad_radius=0.05, distractors=2)


@register_task
class PandaStack(Stack):
    name, robot, time_limit, region = "panda/stack", "panda", 12.0, PANDA_REGION
    layout = Layout(cubes=3, cube_half=0.02, distractors=2)


@register_task
class PandaPressButton(PressButton):
    name, robot, time_limit, region = "panda/press_button", "panda", 8.0, PANDA_REGION
    layout = Layout(buttons=3, button_radius=0.025, distractors=2)


@register_task
class SO101PickPlace(PickPlace):
    name, robot, time_limit, region = "so101/pick_place", "so101", 12.0, SO101_REGION
    layout = Layout(cubes=2, cube_half=0.015, pads=2, pad_radius=0.035, distractors=1)


@register_task
class SO101Reach(Reach):
    name, robot, time_limit, region = "so101/reach", "so101", 6.0, SO101_REGION
    layout = Layout(markers=3, distractors=1)
    distractor_margin = 0.03
    heights = (0.04, 0.1)


@register_task
class PandaPush(Push):
    name, robot, time_limit, region = "panda/push", "panda", 12.0, PANDA_REGION
    layout = Layout(cubes=2, cube_half=0.02, pads=2, pad_radius=0.05, distractors=2)


@register_task
class PandaOpenDrawer(OpenDrawer):
    name, robot, time_limit, region = "panda/open_drawer", "panda", 10.0, PANDA_REGION
    layout = Layout(drawer=True, distractors=3)


@register_task
class SO101PressButton(PressButton):
    name, robot, time_limit = "so101/press_button", "so101", 8.0
    region = (0.14, 0.21, -0.1, 0.1)  # caps are 4.4 cm tall: keep clear of the base
    layout = Layout(buttons=3, button_radius=0.016, distractors=1)
    distractor_margin = 0.03
