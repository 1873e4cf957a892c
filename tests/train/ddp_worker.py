"""Started twice by torchrun from test_distributed.py: trains, then saves this rank's weights."""

import sys
from pathlib import Path

from actloop.train.config import get_preset
from actloop.train.loop import train
from safetensors.torch import save_file

store, out = sys.argv[1], Path(sys.argv[2])
cfg = get_preset("debug")
cfg.data.stores, cfg.out_dir = [store], str(out / "run")
cfg.steps, cfg.batch_size, cfg.checkpoint_every = 3, 4, 3
outcome = train(cfg)
import torch.distributed as dist  # noqa: E402

rank = dist.get_rank()
state = {k: v.detach().contiguous() for k, v in outcome.policy.state_dict().items()}
save_file(state, str(out / f"rank{rank}.safetensors"))
(out / f"rank{rank}.backend").write_text(dist.get_backend())
