"""Weighted batch sampling whose position is one integer.

Stores are mixed by drawing each sample with probability proportional to its store's
weight spread over that store's samples. Batch ``k`` is drawn from a generator seeded
with ``(seed, k)``, so any batch can be produced in any order, by any DataLoader worker,
and a resumed run draws exactly the batches the uninterrupted run would have drawn: the
sampler's saved state is just the next batch number. Under DDP every rank draws the same
global batch and keeps its own slice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, default_collate


def mixture_probabilities(store_sizes: Sequence[int], weights: Sequence[float]) -> np.ndarray:
    """Per-sample probabilities for samples laid out store after store."""
    if not store_sizes:
        raise ValueError("no data: give at least one store")
    weights = list(weights) or [1.0] * len(store_sizes)
    if len(weights) != len(store_sizes):
        raise ValueError(f"got {len(weights)} weights for {len(store_sizes)} stores")
    if any(w < 0 for w in weights) or sum(weights) <= 0:
        raise ValueError(f"store weights must be non-negative with a positive sum, got {weights}")
    parts = []
    for index, (size, weight) in enumerate(zip(store_sizes, weights, strict=True)):
        if size == 0 and weight > 0:
            raise ValueError(f"store {index} has weight {weight} but holds no samples")
        parts.append(np.full(size, weight / size) if size else np.zeros(0))
    probabilities = np.concatenate(parts)
    return probabilities / probabilities.sum()


class BatchPlan:
    """Which sample indices batch ``k`` holds, for this rank."""

    def __init__(
        self,
        probabilities: np.ndarray,
        batch_size: int,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if batch_size % world_size:
            raise ValueError(f"batch_size {batch_size} must divide evenly over {world_size} ranks")
        self.probabilities = np.asarray(probabilities, dtype=np.float64)
        self.batch_size, self.seed = batch_size, seed
        self.rank, self.world_size = rank, world_size

    def indices(self, batch: int) -> list[int]:
        rng = np.random.Generator(np.random.PCG64([self.seed, batch]))
        drawn = rng.choice(len(self.probabilities), size=self.batch_size, p=self.probabilities)
        per_rank = self.batch_size // self.world_size
        return drawn[self.rank * per_rank : (self.rank + 1) * per_rank].tolist()


class PlannedBatches(Dataset):
    """Item ``k`` is the collated, transformed batch ``k``: a DataLoader over it (with
    ``batch_size=None`` and a ``range`` sampler) can prefetch in workers without ever
    moving the resume point."""

    def __init__(
        self, samples: Any, plan: BatchPlan, transform: Callable[[dict], dict] | None = None
    ) -> None:
        self.samples, self.plan, self.transform = samples, plan, transform

    def __len__(self) -> int:
        return 2**62

    def __getitem__(self, batch: int) -> dict[str, Any]:
        items = [self.samples[i] for i in self.plan.indices(batch)]
        if self.transform is not None:
            items = [self.transform(item) for item in items]
        return default_collate(items)


def batch_loader(
    batches: PlannedBatches, start: int, stop: int, num_workers: int
) -> torch.utils.data.DataLoader:
    """Its own generator: a DataLoader otherwise draws its worker base seed from the global
    torch RNG when iterated, which would shift every later noise draw after a resume."""
    return torch.utils.data.DataLoader(
        batches,
        batch_size=None,
        sampler=range(start, stop),
        num_workers=num_workers,
        persistent_workers=False,
        pin_memory=torch.cuda.is_available(),
        generator=torch.Generator().manual_seed(batches.plan.seed + start),
    )
