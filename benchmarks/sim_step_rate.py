"""Env step rate with two 96x96 cameras vs raw mujoco.mj_step + mujoco.Renderer, same run.

Also: render cost with shadows/reflections/multisampling on vs off.

    MUJOCO_GL=egl python benchmarks/sim_step_rate.py [--ticks 300] [--task panda/pick_place]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("MUJOCO_GL", "egl")

import mujoco
import numpy as np
from actloop.sim import make
from actloop.sim.render import CameraRenderer


def actloop_rate(task: str, ticks: int, size: int) -> float:
    env = make(task, image_size=size)
    hold = env.spec.hold_action(env.observe().state)
    started = time.perf_counter()
    for _ in range(ticks):
        env.send_action(hold)
        env.observe()
    rate = ticks / (time.perf_counter() - started)
    env.close()
    return rate


def raw_rate(task: str, ticks: int, size: int) -> float:
    """The same physics substeps and two camera renders, with no actloop code in between."""
    env = make(task, render=False)
    model, substeps = env.model, env.n_substeps
    data = mujoco.MjData(model)
    data.qpos[:] = env.data.qpos
    data.ctrl[:] = env.data.ctrl
    renderer = mujoco.Renderer(model, height=size, width=size)
    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SHADOW] = False
    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_REFLECTION] = False
    renderer.scene.flags[mujoco.mjtRndFlag.mjRND_SKYBOX] = False
    started = time.perf_counter()
    for _ in range(ticks):
        for _ in range(substeps):
            mujoco.mj_step(model, data)
        for camera in ("front", "wrist"):
            renderer.update_scene(data, camera=camera)
            renderer.render()
    rate = ticks / (time.perf_counter() - started)
    renderer.close()
    return rate


def render_rate(task: str, frames: int, size: int, fancy: bool) -> float:
    env = make(task, render=False)
    renderer = CameraRenderer(env.model, ("front", "wrist"), size, fancy=fancy)
    renderer.render(env.data)
    started = time.perf_counter()
    for _ in range(frames):
        renderer.render(env.data)
    rate = frames / (time.perf_counter() - started)
    renderer.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", default="panda/pick_place")
    parser.add_argument("--ticks", type=int, default=300)
    parser.add_argument("--size", type=int, default=96)
    args = parser.parse_args()
    ours = np.median([actloop_rate(args.task, args.ticks, args.size) for _ in range(3)])
    raw = np.median([raw_rate(args.task, args.ticks, args.size) for _ in range(3)])
    print(f"{args.task}, 2 cameras {args.size}x{args.size}, {args.ticks} ticks x3 (median)")
    print(f"  actloop SimEnv   : {ours:8.1f} ticks/s")
    print(f"  raw mujoco       : {raw:8.1f} ticks/s")
    print(f"  overhead         : {raw / ours:8.2f}x  (goal <= 1.2x)")
    for size in (args.size, 256):
        plain = render_rate(args.task, 100, size, fancy=False)
        fancy = render_rate(args.task, 100, size, fancy=True)
        print(
            f"  render {size}x{size} (2 cams): plain {plain:7.1f}/s, shadows+reflections+4x "
            f"offsamples {fancy:7.1f}/s -> {plain / fancy:.1f}x slower with them"
        )


if __name__ == "__main__":
    main()
