"""Action heads over the backbone prefix: DiT diffusion and causal AR token decoding."""
