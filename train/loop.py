"""The thin training main: set up, loop over ``train_step``, checkpoint, evaluate.

Everything with substance lives elsewhere (``step``, ``optim``, ``state``, ``sampler``,
``data``); this file only wires it in order so the whole run reads top to bottom.
"""

from __future__ import annotations

import dataclasses
import logging
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from .config import TrainConfig
from .data import TrainingSetup, prepare
from .distributed import build_accelerator
from .goal_check import GoalLossWatch
from .optim import EMA, build_optimizer, lr_at
from .periodic_eval import evaluate_checkpoint
from .sampler import BatchPlan, PlannedBatches, batch_loader
from .state import (
    TrainState,
    latest_checkpoint,
    load_checkpoint,
    prune_checkpoints,
    save_checkpoint,
)
from .step import LossModule, train_step
from .tracking import Tracker

log = logging.getLogger(__name__)


@dataclass
class TrainOutcome:
    run_dir: Path
    policy_dir: Path  # the final exported policy (EMA weights), loadable by from_pretrained
    steps: int
    last_metrics: dict[str, float]
    is_main: bool = True  # rank 0 (the process that prints and exports)
    policy: torch.nn.Module | None = None  # this rank's trained (raw, non-EMA) policy


def train(cfg: TrainConfig, resume: bool = False) -> TrainOutcome:
    """Set up, resume if asked, run ``train_step`` to the last step, export the policy."""
    accelerator = build_accelerator(cfg.mixed_precision)
    rank, world = accelerator.process_index, accelerator.num_processes
    run_dir = Path(cfg.out_dir)
    seed_everything(cfg.seed)
    data = prepare(cfg)
    policy = data.policy.to(accelerator.device)  # before the EMA copy and optimizer state
    seed_everything(cfg.seed + 1000 * rank)  # same init on every rank, different noise
    model = LossModule(policy)
    optimizer = build_optimizer(model, cfg.optim)
    ema = EMA(policy, cfg.optim.ema_decay) if cfg.optim.ema_decay > 0 else None
    start = _maybe_resume(run_dir, resume, policy, optimizer, ema, rank)
    model, optimizer = accelerator.prepare(model, optimizer)
    last = min(cfg.steps, cfg.stop_at or cfg.steps)
    plan = BatchPlan(data.probabilities, cfg.batch_size, cfg.seed, rank, world)
    batches = PlannedBatches(data.samples, plan, data.transform)
    loader = batch_loader(batches, start, last, cfg.data.num_workers)
    tracker, bar = _progress(cfg, run_dir, start, accelerator.is_main_process)
    watch = GoalLossWatch(cfg.goal_check.step if start == 0 else 0, cfg.goal_check.max_ratio)
    metrics: dict[str, float] = {}
    try:
        for step, batch in zip(range(start, last), loader, strict=False):
            lr = lr_at(step, cfg.steps, cfg.optim)
            batch = to_device(batch, accelerator.device)
            metrics = train_step(
                model,
                batch,
                optimizer,
                accelerator,
                lr=lr,
                grad_clip=cfg.optim.grad_clip,
                ema=ema,
                ema_target=policy,
            )
            done = step + 1
            bar.update(1)
            watch.observe(done, metrics)
            if done % cfg.log_every == 0 or done == last:
                bar.set_postfix(loss=f"{metrics['loss']:.4f}")
                tracker.log(metrics, done)
            if done % cfg.checkpoint_every == 0 or done == last:
                _checkpoint(accelerator, run_dir, cfg, done, policy, optimizer, ema, data)
            if cfg.eval.every and (done % cfg.eval.every == 0 or done == last):
                _evaluate(accelerator, run_dir, cfg, done, tracker)
            _report_goal_check(watch.check(done, accelerator.reduce), bar)
    finally:  # a stalled goal check raises: its TensorBoard log is still written out
        bar.close()
        tracker.close()
    final = _export_final(accelerator, run_dir, policy, ema, data)
    return TrainOutcome(run_dir, final, last, metrics, accelerator.is_main_process, policy)


def _progress(cfg: TrainConfig, run_dir: Path, start: int, is_main: bool):
    """TensorBoard (+ wandb) and a tqdm bar, both silent on every rank but 0."""
    tracker = Tracker(
        run_dir,
        dataclasses.asdict(cfg),
        enabled=is_main,
        use_wandb=cfg.wandb,
        wandb_project=cfg.wandb_project,
    )
    bar = tqdm(
        total=cfg.steps,
        initial=start,
        disable=not is_main,
        desc=f"train {cfg.name}",
        dynamic_ncols=True,
    )
    return tracker, bar


def _report_goal_check(verdict, bar) -> None:
    if verdict is not None and not bar.disable:  # rank 0 only
        bar.write(f"goal readout check passed: {verdict.describe()}")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _maybe_resume(run_dir: Path, resume: bool, policy, optimizer, ema, rank: int) -> int:
    checkpoint = latest_checkpoint(run_dir) if resume else None
    if resume and checkpoint is None:
        log.warning("resume requested but %s holds no checkpoint; starting fresh", run_dir)
    if checkpoint is None:
        return 0
    state = load_checkpoint(checkpoint, policy, optimizer, ema, rank)
    if rank == 0:
        print(f"resumed from {checkpoint} at step {state.step}")
    return state.step


def _checkpoint(
    accelerator,
    run_dir: Path,
    cfg: TrainConfig,
    step: int,
    policy,
    optimizer,
    ema: EMA | None,
    data: TrainingSetup,
) -> None:
    accelerator.wait_for_everyone()
    directory = run_dir / "checkpoints" / f"step_{step:07d}"
    state = TrainState(step, {"next_batch": step}, dataclasses.asdict(cfg))
    raw_optimizer = getattr(optimizer, "optimizer", optimizer)
    save_checkpoint(directory, policy, raw_optimizer, ema, state, accelerator.process_index)
    if accelerator.is_main_process:
        _export_policy(directory / "policy", policy, ema, data)
        prune_checkpoints(run_dir, cfg.keep_checkpoints)
    accelerator.wait_for_everyone()


def _evaluate(accelerator, run_dir: Path, cfg: TrainConfig, step: int, tracker) -> None:
    if accelerator.is_main_process:
        policy_dir = run_dir / "checkpoints" / f"step_{step:07d}" / "policy"
        if policy_dir.is_dir():
            rates = evaluate_checkpoint(policy_dir, cfg.eval, run_dir / "evals" / f"step_{step}")
            tracker.log(rates, step, prefix="eval")
    accelerator.wait_for_everyone()


def _export_final(accelerator, run_dir: Path, policy, ema, data) -> Path:
    final = run_dir / "policy"
    if accelerator.is_main_process:
        _export_policy(final, policy, ema, data)
    accelerator.wait_for_everyone()
    return final


def _export_policy(directory: Path, policy, ema: EMA | None, data: TrainingSetup) -> None:
    """``save_pretrained`` with the EMA weights swapped in (what evaluation should run)."""
    raw = ema.copy_to(policy) if ema is not None else None
    try:
        data.save_policy(policy, directory)
    finally:
        if raw is not None:
            EMA.restore(policy, raw)


def to_device(batch: Any, device: torch.device) -> Any:
    """Public so benchmarks/train_step_rate.py times exactly the step that train() runs."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    if isinstance(batch, list | tuple):
        return type(batch)(to_device(v, device) for v in batch)
    return batch
