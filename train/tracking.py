"""Where training metrics go: TensorBoard always, wandb only when asked and installed.

Only rank 0 writes. wandb is off by default and never touched in tests, so no run ever
reaches the network unless the user turned it on.
"""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

from torch.utils.tensorboard import SummaryWriter

log = logging.getLogger(__name__)


class Tracker:
    def __init__(
        self,
        run_dir: Path,
        config: dict[str, Any],
        *,
        enabled: bool,
        use_wandb: bool = False,
        wandb_project: str = "actloop",
    ) -> None:
        self.enabled = enabled
        self._tb = SummaryWriter(str(run_dir / "tensorboard")) if enabled else None
        self._wandb = (
            _start_wandb(run_dir, config, wandb_project) if enabled and use_wandb else None
        )

    def log(self, metrics: dict[str, float], step: int, prefix: str = "train") -> None:
        if self._tb is None:
            return
        for key, value in metrics.items():
            self._tb.add_scalar(f"{prefix}/{key}", value, step)
        if self._wandb is not None:
            self._wandb.log({f"{prefix}/{k}": v for k, v in metrics.items()}, step=step)

    def close(self) -> None:
        if self._tb is not None:
            self._tb.close()
        if self._wandb is not None:
            self._wandb.finish()


def _start_wandb(run_dir: Path, config: dict[str, Any], project: str):
    if importlib.util.find_spec("wandb") is None:
        log.warning("wandb=True but wandb is not installed; logging to TensorBoard only")
        return None
    import wandb

    return wandb.init(project=project, dir=str(run_dir), config=config, name=run_dir.name)
