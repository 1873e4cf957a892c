"""Seconds per `cpu-full` training step on the CPU: allocator, kernels and precision, same run.

A CPU step allocates and frees the same large activation buffers every iteration. glibc
hands big blocks back to the kernel and faults fresh zeroed pages in on the next step;
tcmalloc keeps them. Each configuration runs in its own process (an allocator can only be
preloaded at start), on the same demos, batches and seed, timing steps after a warm-up.
Also times 2 noise draws per sample in the diffusion loss (``--noise_draws``), and the
CPU kernel routes of ``policies/cpu_kernels.py`` (a channels-last max-pool forward, fp32
attention under bf16 autocast) against the plain PyTorch ops, in fp32 and in bf16 autocast
(``--mixed_precision bf16``; worth it only on CPUs with native bf16, AVX512-BF16 or AMX).

    MUJOCO_GL=egl python benchmarks/train_step_rate.py [--stores A.zarr B.zarr] [--steps 40]

Without ``--stores`` it first collects 20 panda/pick_place demos into a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TCMALLOC = "libtcmalloc_minimal.so.4"
CONFIGS = (  # (label, preload tcmalloc, noise draws, precision, kernel routes)
    ("glibc, fp32, plain ops", False, 1, "no", "plain"),
    ("tcmalloc, fp32, plain ops", True, 1, "no", "plain"),
    ("tcmalloc, fp32, 2 draws", True, 2, "no", "plain"),
    ("tcmalloc, fp32, routed", True, 1, "no", "routed"),
    ("tcmalloc, bf16, plain ops", True, 1, "bf16", "plain"),
    ("tcmalloc, bf16, routed", True, 1, "bf16", "routed"),
)


def find_tcmalloc() -> str | None:
    """The shared library's path from the linker cache (Debian: libtcmalloc-minimal4)."""
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    listing = subprocess.run([ldconfig, "-p"], capture_output=True, text=True).stdout
    paths = [line.split("=>")[-1].strip() for line in listing.splitlines() if TCMALLOC in line]
    return paths[0] if paths else None


def use_plain_ops(policy) -> None:
    """The baseline: PyTorch's own max-pool and attention in place of the routed ones."""
    from actloop.policies.cpu_kernels import FastMaxPool2d
    from actloop.policies.heads import layers
    from torch import nn
    from torch.nn import functional as F

    for module in policy.modules():
        for name, child in module.named_children():
            if isinstance(child, FastMaxPool2d):
                plain = nn.MaxPool2d(child.kernel_size, child.stride, child.padding,
                                     child.dilation, ceil_mode=child.ceil_mode)  # fmt: skip
                setattr(module, name, plain)
    layers.attention = lambda q, k, v, mask=None: F.scaled_dot_product_attention(q, k, v, mask)


def time_steps(args) -> float:
    """Seconds per step of the real train step (batch assembly included), after warm-up."""
    from actloop.train.config import get_preset
    from actloop.train.data import prepare
    from actloop.train.distributed import build_accelerator
    from actloop.train.loop import seed_everything, to_device
    from actloop.train.optim import EMA, build_optimizer, lr_at
    from actloop.train.sampler import BatchPlan, PlannedBatches, batch_loader
    from actloop.train.step import LossModule, train_step

    cfg = get_preset("cpu-full")
    cfg.data.stores, cfg.noise_draws = args.stores, args.draws
    accelerator = build_accelerator(args.precision)
    seed_everything(cfg.seed)
    data = prepare(cfg)
    if args.kernels == "plain":
        use_plain_ops(data.policy)
    warmup, steps = args.warmup, args.steps
    model = LossModule(data.policy)
    optimizer = build_optimizer(model, cfg.optim)
    ema = EMA(data.policy, cfg.optim.ema_decay)
    model, optimizer = accelerator.prepare(model, optimizer)
    plan = BatchPlan(data.probabilities, cfg.batch_size, cfg.seed, 0, 1)
    loader = batch_loader(PlannedBatches(data.samples, plan, data.transform), 0, warmup + steps, 0)
    started = 0.0
    for step, batch in enumerate(loader):
        if step == warmup:
            started = time.perf_counter()
        lr = lr_at(step, cfg.steps, cfg.optim)
        batch = to_device(batch, accelerator.device)
        train_step(model, batch, optimizer, accelerator, lr=lr,
                   grad_clip=cfg.optim.grad_clip, ema=ema, ema_target=data.policy)  # fmt: skip
    return (time.perf_counter() - started) / steps


def run_config(stores: list[str], preload: str | None, config: tuple, args) -> float:
    env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
    env.pop("LD_PRELOAD", None)
    if preload:
        env["LD_PRELOAD"] = preload
    _, _, draws, precision, kernels = config
    command = [sys.executable, __file__, "--child", "--draws", str(draws), "--stores", *stores]
    command += ["--precision", precision, "--kernels", kernels]
    command += ["--steps", str(args.steps), "--warmup", str(args.warmup)]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])["seconds_per_step"]


def collect_demos(folder: Path) -> list[str]:
    store = folder / "panda-pick_place-bench.zarr"
    command = ["actloop", "collect", "--task", "panda/pick_place", "--episodes", "20"]
    subprocess.run([*command, "--out", str(store)], check=True, capture_output=True)
    return [str(store)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stores", nargs="+", default=None)
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--draws", type=int, default=1)
    parser.add_argument("--precision", default="no", help=argparse.SUPPRESS)
    parser.add_argument("--kernels", default="routed", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        rate = time_steps(args)
        print(json.dumps({"seconds_per_step": rate}))
        return
    tcmalloc = find_tcmalloc()
    if tcmalloc is None:
        sys.exit("tcmalloc not found: apt-get install libtcmalloc-minimal4")
    with tempfile.TemporaryDirectory() as folder:
        stores = args.stores or collect_demos(Path(folder))
        rates = {c[0]: run_config(stores, tcmalloc if c[1] else None, c, args) for c in CONFIGS}
    base = rates[CONFIGS[0][0]]
    print(f"cpu-full, batch 32, {args.threads} threads, {args.steps} steps after {args.warmup}")
    for label, seconds in rates.items():
        print(f"  {label:26s}: {seconds:6.3f} s/step  ({base / seconds:4.2f}x the first)")


if __name__ == "__main__":
    main()
