"""Jacobi vs sequential AR decoding on a head trained on REAL demonstrations.

``policy_latency.py`` fits 8 fake samples, so its held-out inputs are out of distribution.
Here the AR head (and the backbone under it) is fitted on windows of real zarr demo stores
through actloop's own dataset code, the last ``--holdout`` episodes of every store are
kept out, and decoding is measured side by side in one run on fitted and held-out
observations: open loop (one chunk per observation, cold start) and closed loop
(consecutive frames of a held-out episode, replanning every ``--every`` ticks, Jacobi seeded
with the previous chunk shifted by ``--every`` steps and re-tokenised; the seeding cost is
inside the timing). Then end to end: ``policy.infer`` in AR mode, greedy vs Jacobi, on the
held-out observations. Every decoder's tokens (and the end-to-end chunks) are checked
identical to sequential greedy decoding; the script fails otherwise.

    /work/venv/bin/python benchmarks/jacobi_real.py --store demos.zarr [--store more.zarr]
        [--tokenizer fast|binning] [--fit-steps 1500] [--consistency-weight 1.0]
        [--windows 16,32] [--save DIR] [--load DIR [--fit-steps N]]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
import torch
from actloop.datasets import StoreSource, WindowDataset, WindowSpec, compute_norm_stats
from actloop.policies import MalformedTokensError, UniversalTransform, VLAPolicy, get_preset
from actloop.policies.heads.jacobi import jacobi_decode
from torch.utils.data import default_collate

sys.path.insert(0, str(Path(__file__).parent))
from policy_latency import infer_with, interleaved_medians, observation


@dataclasses.dataclass
class Split:
    """Global window indices of the fitted episodes, and held-out episodes frame by frame."""

    data: WindowDataset
    fitted: list[int]
    held_out: list[list[int]]


def split_episodes(stores: list[str], holdout: int, horizon: int) -> Split:
    data = WindowDataset([StoreSource(s) for s in stores], WindowSpec.chunk(1, horizon))
    fitted, held_out = [], []
    for offset, ix in zip(data._offsets, data.indexes, strict=False):
        if len(ix.starts) <= holdout:
            raise ValueError(f"{ix.url} has {len(ix.starts)} episodes; --holdout {holdout}")
        for episode, (start, end) in enumerate(zip(ix.starts, ix.ends, strict=True)):
            frames = list(range(int(offset + start), int(offset + end)))
            if episode >= len(ix.starts) - holdout:
                held_out.append(frames)
            else:
                fitted.extend(frames)
    return Split(data, fitted, held_out)


def ar_config(args):
    """The small preset with only the AR head trained (diffusion weight 0): the decoder is
    what is measured, and the backbone still learns from the AR loss alone."""
    base = get_preset(args.policy)
    kwargs = {"n_bins": args.bins} if args.tokenizer == "binning" else {}
    ar = dataclasses.replace(
        base.ar,
        tokenizer=args.tokenizer,
        tokenizer_kwargs=kwargs,
        max_tokens=args.max_tokens,
        consistency_weight=args.consistency_weight,
    )
    return base.replace(ar=ar, mode="ar", diffusion_weight=0.0, ar_weight=1.0)


def build_policy(args, split: Split, raw: dict) -> VLAPolicy:
    torch.manual_seed(args.seed)
    config = ar_config(args)
    stats = compute_norm_stats(args.store)
    transform = UniversalTransform(stats)
    rng = np.random.default_rng(args.seed)
    pick = rng.choice(split.fitted, size=min(1024, len(split.fitted)), replace=False)
    pairs = [transform.universal_action(raw[i]["action"], raw[i]["embodiment"]) for i in pick]
    chunks, masks = (np.stack(x) for x in zip(*pairs, strict=True))
    instructions = sorted({raw[i]["instruction"] for i in split.fitted})  # the word vocabulary
    return VLAPolicy.create(config, stats, chunks, masks, instructions)


def fit(policy: VLAPolicy, split: Split, raw: dict, args) -> None:
    """AdamW, linear warmup then cosine to 5%, random batches of fitted windows."""
    optimiser = torch.optim.AdamW(policy.parameters(), lr=args.lr, weight_decay=0.01)
    warmup = min(100, args.fit_steps // 10)

    def scale(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, args.fit_steps - warmup)
        return 0.05 + 0.95 * 0.5 * (1 + np.cos(np.pi * progress))

    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, scale)
    rng = np.random.default_rng(args.seed)
    policy.train()
    start = time.process_time()
    for step in range(args.fit_steps):
        indices = rng.choice(split.fitted, size=args.batch_size, replace=False)
        batch = default_collate([policy.transform(raw[i]) for i in indices])
        loss, metrics = policy.loss(batch)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 250 == 0 or step == args.fit_steps - 1:
            shown = {k: round(v, 4) for k, v in metrics.items()}
            print(f"  step {step}: {shown} ({time.process_time() - start:.0f} CPU s)", flush=True)
    policy.eval()
    print(f"  fitted {args.fit_steps} steps in {time.process_time() - start:.0f} CPU s")


@torch.inference_mode()
def prefix_of(policy: VLAPolicy, sample: dict):
    batch = policy.observation_batch([observation(sample)])
    prefix, valid, _ = policy.encode(batch)  # the goal token too, when configured
    return prefix, valid, batch["action_mask"][0].numpy().astype(bool)


def shifted_seed(policy: VLAPolicy, tokens: list[int], mask, shift: int) -> list[int]:
    """The previous chunk, ``shift`` steps later: drop its first steps, hold its last action,
    re-tokenise. A guess only: Jacobi's output is greedy whatever the seed."""
    try:
        chunk = policy.action_tokenizer.decode(tokens, mask, policy.config.horizon)
    except MalformedTokensError:  # the previous plan did not decode: no guess
        return []
    later = np.concatenate([chunk[shift:], np.repeat(chunk[-1:], shift, axis=0)])
    return policy.action_tokenizer.encode(later, mask).tolist()


def timed_check(fns: dict, greedy: list[int], repeats: int, label: str, rows: dict) -> None:
    ms = interleaved_medians(fns, repeats, warmup=1)
    line = []
    for name, fn in fns.items():
        decoded = fn()
        if decoded.tokens[0] != greedy:
            raise AssertionError(f"{label}: {name} tokens differ from sequential greedy")
        rows.setdefault(name, []).append((decoded.passes, ms[name], len(greedy)))
        line.append(f"{name} {decoded.passes}p {ms[name]:.2f}ms")
    print(f"  {label}: {len(greedy)} tokens | " + " | ".join(line), flush=True)


def cold_decoders(policy: VLAPolicy, prefix, valid, mask, windows) -> dict:
    """Sequential greedy and cold Jacobi, plus Jacobi that guesses ahead by repeating the
    last timestep's tokens when the tokenizer has a per-timestep layout (binning)."""
    fns = {"sequential": lambda: policy.ar.decode(prefix, valid)}
    period = policy.action_tokenizer.token_period(mask)
    for w in windows:
        fns[f"Jacobi cold w{w}"] = lambda w=w: jacobi_decode(policy.ar, prefix, valid, None, w)
        if period:
            fns[f"Jacobi cold+repeat w{w}"] = lambda w=w: jacobi_decode(
                policy.ar, prefix, valid, None, w, [period]
            )
    return fns


def open_loop(policy, raw, indices, windows, repeats, label) -> dict:
    rows: dict = {}
    for i in indices:
        prefix, valid, mask = prefix_of(policy, raw[i])
        greedy = policy.ar.decode(prefix, valid).tokens[0]
        fns = cold_decoders(policy, prefix, valid, mask, windows)
        timed_check(fns, greedy, repeats, f"{label} window {i}", rows)
    return rows


def seeded_decoders(policy: VLAPolicy, prefix, valid, previous: tuple, windows) -> dict:
    """Jacobi seeded from the previous plan; building the seed is part of the timed call."""

    def decode(window: int, periods=None):
        seed = [shifted_seed(policy, *previous)]
        return jacobi_decode(policy.ar, prefix, valid, seed, window, periods)

    fns = {f"Jacobi seeded w{w}": lambda w=w: decode(w) for w in windows}
    period = policy.action_tokenizer.token_period(previous[1])
    if period:
        fns |= {f"Jacobi seeded+repeat w{w}": lambda w=w: decode(w, [period]) for w in windows}
    return fns


def closed_loop(policy, raw, episodes, every: int, windows, repeats) -> dict:
    """Replan every ``every`` ticks along held-out episodes; the first plan of an episode
    has no previous chunk and is left out (it is the open-loop cold case)."""
    rows: dict = {}
    for frames in episodes:
        previous = None
        for frame in frames[::every]:
            prefix, valid, mask = prefix_of(policy, raw[frame])
            greedy = policy.ar.decode(prefix, valid).tokens[0]
            if previous is not None:
                fns = cold_decoders(policy, prefix, valid, mask, windows)
                fns |= seeded_decoders(policy, prefix, valid, (previous, mask, every), windows)
                timed_check(fns, greedy, repeats, f"closed loop frame {frame}", rows)
            previous = greedy
    return rows


def token_accuracy(policy: VLAPolicy, raw, indices) -> tuple[float, float]:
    """Greedy tokens vs the demo chunk's tokens: exact-chunk share, per-token share."""
    exact, hits, total = 0, 0, 0
    for i in indices:
        prefix, valid, mask = prefix_of(policy, raw[i])
        sample = policy.transform(raw[i])
        truth = policy.action_tokenizer.encode(sample["action"], mask).tolist()
        got = policy.ar.decode(prefix, valid).tokens[0]
        exact += got == truth
        hits += sum(a == b for a, b in zip(got, truth, strict=False))
        total += len(truth)
    return exact / len(indices), hits / max(total, 1)


def end_to_end(policy: VLAPolicy, raw, indices, repeats: int) -> None:
    """Image to native chunk through ``policy.infer`` (backbone, decoder, detokenise,
    denormalise) in AR mode: the path a user runs, with the config's Jacobi window. The
    backbone's cost is in both, so this ratio is below the decode-only one."""
    times: dict[str, list[float]] = {"sequential": [], "Jacobi": []}
    for i in indices:
        obs = observation(raw[i])
        fns = {
            "sequential": lambda o=obs: infer_with(policy, o, "ar", "greedy"),
            "Jacobi": lambda o=obs: infer_with(policy, o, "ar", "jacobi"),
        }
        if not np.array_equal(fns["sequential"]().actions, fns["Jacobi"]().actions):
            raise AssertionError(f"end to end, window {i}: Jacobi's chunk differs from greedy's")
        for name, ms in interleaved_medians(fns, repeats, warmup=1).items():
            times[name].append(ms)
    seq, jac = (statistics.mean(times[k]) for k in ("sequential", "Jacobi"))
    window = policy.config.ar.jacobi_window
    print(f"\nend to end, policy.infer, HELD-OUT observations ({len(indices)}), window {window}")
    print(f"  AR sequential {seq:.2f} ms | AR Jacobi {jac:.2f} ms | {seq / jac:.2f}x, same chunks")


def summary(title: str, rows: dict) -> None:
    seq = statistics.mean(ms for _, ms, _ in rows["sequential"])
    tokens = statistics.mean(n for _, _, n in rows["sequential"])
    print(f"\n{title} ({len(rows['sequential'])} chunks, {tokens:.1f} tokens mean)")
    print(f"{'decoder':24s} {'passes':>6s} {'ms':>7s} {'speed-up':>8s}")
    for name, values in rows.items():
        passes = statistics.mean(p for p, _, _ in values)
        ms = statistics.mean(m for _, m, _ in values)
        print(f"{name:24s} {passes:6.1f} {ms:7.2f} {seq / ms:7.2f}x  identical to greedy")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", action="append", required=True, help="zarr demo store")
    parser.add_argument("--holdout", type=int, default=10, help="last N episodes per store")
    parser.add_argument("--policy", default="small")
    parser.add_argument("--tokenizer", default="fast", choices=("fast", "binning"))
    parser.add_argument("--bins", type=int, default=256, help="binning tokenizer bins")
    parser.add_argument("--max-tokens", type=int, default=96)
    parser.add_argument("--consistency-weight", type=float, default=0.0)
    parser.add_argument(
        "--fit-steps", type=int, help="default 1500; 0 with --load (more continues fitting it)"
    )
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--windows", default="16", help="Jacobi windows, e.g. 8,16,32")
    parser.add_argument("--observations", type=int, default=6, help="per group, open loop")
    parser.add_argument("--episodes", type=int, default=3, help="held-out, closed loop")
    parser.add_argument("--every", type=int, default=4, help="closed loop: replan period")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--save", help="save the fitted policy here (safetensors checkpoint)")
    parser.add_argument("--load", help="skip fitting: load this checkpoint")
    return parser.parse_args()


def main() -> None:
    args = parse()
    torch.set_num_threads(args.threads)
    print(f"threads={args.threads} load average before: {os.getloadavg()}")
    split = split_episodes(args.store, args.holdout, get_preset(args.policy).horizon)
    started = time.perf_counter()
    if args.fit_steps is None:
        args.fit_steps = 0 if args.load else 1500
    needed = set(split.fitted) if args.fit_steps else set()
    rng = np.random.default_rng(args.seed + 1)
    fitted_obs = [int(i) for i in rng.choice(split.fitted, args.observations, replace=False)]
    held_flat = [i for frames in split.held_out for i in frames]
    held_obs = [int(i) for i in rng.choice(held_flat, args.observations, replace=False)]
    needed |= set(fitted_obs) | set(held_flat)
    raw = {i: split.data[i] for i in sorted(needed)}
    print(
        f"  {len(split.fitted)} fitted windows, {len(held_flat)} held-out windows in "
        f"{len(split.held_out)} episodes; read in {time.perf_counter() - started:.0f} s"
    )
    if args.load:
        policy = VLAPolicy.from_pretrained(args.load).eval()
    else:
        policy = build_policy(args, split, raw)
    if args.fit_steps:
        fit(policy, split, raw, args)
    if args.save:
        policy.save_pretrained(args.save)
    print(f"  policy: {policy.config.ar}")
    for label, indices in (("fitted", fitted_obs), ("held out", held_obs)):
        exact, per_token = token_accuracy(policy, raw, indices)
        print(f"  {label}: greedy == demo tokens for {exact:.0%} of chunks, {per_token:.0%} tokens")
    windows = [int(w) for w in args.windows.split(",") if w]
    fitted_rows = open_loop(policy, raw, fitted_obs, windows, args.repeats, "fitted")
    held_rows = open_loop(policy, raw, held_obs, windows, args.repeats, "held-out")
    loop_rows = closed_loop(
        policy, raw, split.held_out[: args.episodes], args.every, windows, args.repeats
    )
    summary("open loop, fitted observations (decode only)", fitted_rows)
    summary("open loop, HELD-OUT observations (decode only)", held_rows)
    summary(f"closed loop, held-out episodes, replan every {args.every} ticks", loop_rows)
    end_to_end(policy, raw, held_obs, args.repeats)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
