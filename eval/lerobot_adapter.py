"""A LeRobot policy (e.g. ACT) as an actloop ``Policy``, so baselines run through the very
same ControlLoop, safety filter, scheduler and metrics as actloop's own policies.

The policy must have been trained on actloop demos exported to LeRobot format
(``actloop.datasets.zarr_to_lerobot``): state is ``observation.state``, cameras are
``observation.images.<camera>`` and actions are native, so no conversion is needed here.
Loading reads safetensors and JSON only (lerobot's ``from_pretrained``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from actloop.control import ActionChunk, Observation, get_embodiment

IMAGE_PREFIX = "observation.images."


class LeRobotPolicyAdapter:
    def __init__(self, policy: Any, preprocessor: Any, postprocessor: Any) -> None:
        self.policy = policy.eval()
        self.preprocessor = preprocessor
        self.postprocessor = postprocessor
        self.cameras = [key.removeprefix(IMAGE_PREFIX) for key in policy.config.image_features]
        shapes = [feature.shape for feature in policy.config.image_features.values()]
        self.image_size = int(shapes[0][-1]) if shapes else None  # (C, H, W): the env renders H

    @classmethod
    def from_pretrained(cls, path: str | Path, task: str | None = None) -> LeRobotPolicyAdapter:
        from lerobot.configs.policies import PreTrainedConfig
        from lerobot.policies.factory import get_policy_class, make_pre_post_processors

        path = Path(path)
        if not (path / "config.json").is_file():
            raise FileNotFoundError(f"{path} is not a LeRobot policy directory (no config.json)")
        config = PreTrainedConfig.from_pretrained(str(path))
        config.device = "cpu" if not torch.cuda.is_available() else config.device
        policy = get_policy_class(config.type).from_pretrained(str(path), config=config)
        pre, post = make_pre_post_processors(config, pretrained_path=str(path))
        return cls(policy, pre, post)

    def reset(self) -> None:
        self.policy.reset()

    @torch.no_grad()
    def infer(self, observation: Observation) -> ActionChunk:
        batch: dict[str, Any] = {"observation.state": torch.from_numpy(observation.state)}
        for camera in self.cameras:
            if camera not in observation.images:
                raise KeyError(
                    f"the LeRobot policy needs camera {camera!r}; the robot gives "
                    f"{sorted(observation.images)}"
                )
            image = torch.from_numpy(np.ascontiguousarray(observation.images[camera]))
            batch[IMAGE_PREFIX + camera] = image.permute(2, 0, 1).float() / 255.0
        chunk = self.postprocessor(self.policy.predict_action_chunk(self.preprocessor(batch)))
        actions = chunk[0].detach().cpu().numpy().astype(np.float64)
        return ActionChunk(actions, start_tick=0, dt=get_embodiment(observation.embodiment).dt)
