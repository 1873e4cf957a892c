"""Diffusion action head: a DiT trained with diffusers' DDPM (or flow matching) and sampled
with DDIM (or FlowMatchEuler) in a configurable, small number of steps."""

from __future__ import annotations

import torch
from actloop.control import unknown_name_message
from diffusers import DDIMScheduler, DDPMScheduler, FlowMatchEulerDiscreteScheduler
from torch import nn

from ..config import DiffusionConfig
from .dit import DiT

FLOW_TIME_SCALE = 1000.0


class SchedulerSampling:
    """Sampling by a diffusers scheduler's own timesteps and step rule."""

    sampler: DDIMScheduler | FlowMatchEulerDiscreteScheduler

    def timesteps(self, steps: int) -> torch.Tensor:
        """The model times of a ``steps``-step sampling run, in the order they are visited."""
        self.sampler.set_timesteps(steps)
        return self.sampler.timesteps.float()

    def schedule(self) -> list[float]:
        """The scheduler's own timesteps of the run ``timesteps`` set up, as Python numbers:
        a compiled sampling loop then unrolls with them as constants."""
        return self.sampler.timesteps.tolist()

    def step(self, output: torch.Tensor, t: float, x: torch.Tensor) -> torch.Tensor:
        """The scheduler's step rule from ``x`` at its timestep ``t``, given the model output."""
        return self.sampler.step(output, t, x, return_dict=False)[0]


class DDPMProcess(SchedulerSampling):
    """Train with DDPMScheduler.add_noise; sample with DDIM sharing the same betas."""

    def __init__(self, config: DiffusionConfig) -> None:
        self.train_scheduler = DDPMScheduler(
            num_train_timesteps=config.train_timesteps,
            beta_schedule=config.beta_schedule,
            prediction_type=config.prediction_type,
            clip_sample=True,
            clip_sample_range=1.5,
        )
        self.sampler = DDIMScheduler.from_config(self.train_scheduler.config)

    def training_example(self, actions, noise, generator=None):
        steps = self.train_scheduler.config.num_train_timesteps
        t = torch.randint(0, steps, (actions.shape[0],), device=actions.device, generator=generator)
        noisy = self.train_scheduler.add_noise(actions, noise, t)
        targets = {
            "epsilon": noise,
            "sample": actions,
            "v_prediction": self.train_scheduler.get_velocity(actions, noise, t),
        }
        return noisy, t.float(), targets[self.train_scheduler.config.prediction_type]


class FlowProcess(SchedulerSampling):
    """pi0-style flow matching: x_tau = tau*eps + (1-tau)*A, target eps - A; Euler sampling."""

    def __init__(self, config: DiffusionConfig) -> None:
        self.sampler = FlowMatchEulerDiscreteScheduler(num_train_timesteps=int(FLOW_TIME_SCALE))
        self.tau = torch.distributions.Beta(torch.tensor(1.5), torch.tensor(1.0))

    def training_example(self, actions, noise, generator=None):
        tau = self.tau.sample((actions.shape[0],)).to(actions.device)
        weight = tau[:, None, None]
        return weight * noise + (1 - weight) * actions, tau * FLOW_TIME_SCALE, noise - actions


NOISE_PROCESSES = {"ddpm": DDPMProcess, "flow": FlowProcess}


class DiffusionHead(nn.Module):
    def __init__(
        self,
        config: DiffusionConfig,
        d_model: int,
        n_heads: int,
        horizon: int,
        n_embodiments: int,
        adapters: bool,
    ) -> None:
        super().__init__()
        if config.objective not in NOISE_PROCESSES:
            raise KeyError(
                unknown_name_message("diffusion objective", config.objective, NOISE_PROCESSES)
            )
        self.config = config
        self.process = NOISE_PROCESSES[config.objective](config)
        self.dit = DiT(
            d_model, n_heads, config.depth, horizon, config.conditioning, n_embodiments, adapters
        )
        self.horizon = horizon
        self._compiled_loop = None  # see ``compile_sampling``

    def compile_sampling(self, **options) -> None:
        """Opt in to running the planned sampling loop through ``torch.compile`` (inductor).

        After ``sampling_plan`` a small DiT's step on a CPU is still a few dozen small
        attention, norm and MLP calls, each paying framework overhead. Compiling the whole
        loop, every step and the scheduler's update unrolled into one graph, fuses them into
        few kernels and pays the call overhead (input checks on the plan's ~40 tensors) once
        a chunk instead of once a step: measured 1.5x over compiling each step alone. The
        first chunk pays the compile (about a minute on 2 cores; a C++ compiler is needed on
        a CPU); training and ``precompute=False`` keep the eager forward."""
        self._compiled_loop = torch.compile(self._denoise_loop, dynamic=False, **options)

    def loss(self, prefix, valid, actions, action_mask, action_pad, embodiment_id):
        """Masked MSE: unused universal slots and padded chunk steps never count."""
        draws = self.config.noise_draws
        repeat = lambda x: x.repeat_interleave(draws, dim=0)  # noqa: E731
        cond = self.dit.condition(repeat(prefix), repeat(valid))
        actions, action_mask, embodiment_id = map(repeat, (actions, action_mask, embodiment_id))
        noise = torch.randn_like(actions)
        noisy, t, target = self.process.training_example(actions, noise)
        prediction = self.dit(noisy, t, cond, action_mask, embodiment_id)
        weight = action_mask.float()[:, None, :] * (~repeat(action_pad).bool()).float()[..., None]
        return ((prediction - target) ** 2 * weight).sum() / weight.sum().clamp(min=1.0)

    @torch.no_grad()
    def sample(
        self,
        prefix,
        valid,
        action_mask,
        embodiment_id,
        steps: int | None = None,
        generator: torch.Generator | None = None,
        precompute: bool = True,
    ) -> torch.Tensor:
        """``precompute=False`` runs every step through the training-time forward instead of
        the DiT's ``sampling_plan``: the reference the plan is tested and benchmarked against."""
        steps = steps or self.config.inference_steps
        cond = self.dit.condition(prefix, valid)
        times = self.process.timesteps(steps).to(prefix.device)
        plan = self.dit.sampling_plan(times, cond, action_mask) if precompute else None
        shape = (prefix.shape[0], self.horizon, action_mask.shape[-1])
        noise = torch.randn(shape, generator=generator, device=prefix.device)
        compiled = plan is not None and self._compiled_loop is not None
        loop = self._compiled_loop if compiled else self._denoise_loop
        sample = loop(noise, times, self.process.schedule(), cond, plan, action_mask, embodiment_id)
        return sample * action_mask.float()[:, None]

    def _denoise_loop(self, x, times, schedule, cond, plan, action_mask, embodiment_id):
        """Every sampling step, from noise ``x``: the model at ``times[i]`` (with the i-th
        step of ``plan`` when there is one), then the scheduler's rule at ``schedule[i]``."""
        for i, t in enumerate(schedule):
            step_plan = None if plan is None else plan[i]
            model_time = times[i].expand(x.shape[0]) if plan is None else None  # plan has it
            output = self.dit(x, model_time, cond, action_mask, embodiment_id, step_plan)
            x = self.process.step(output, t, x)
        return x
