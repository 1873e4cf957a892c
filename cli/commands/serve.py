"""``actloop serve``: put a policy behind a websocket for remote robots."""

from __future__ import annotations

import argparse
import contextlib
import os

from ._hardware import load_policy

NAME = "serve"
HELP = "Serve a policy (checkpoint dir or built-in) over websocket + msgpack, with token auth."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", required=True, help="VLAPolicy checkpoint directory, or: sine")
    parser.add_argument("--embodiment", default="so101", help="embodiment for built-in policies")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--token-env",
        default="ACTLOOP_TOKEN",
        help="environment variable holding the token (unset = no auth)",
    )
    parser.add_argument("--max-message-mb", type=float, default=8.0)
    parser.add_argument(
        "--compile",
        action="store_true",
        help="run vision and diffusion sampling through torch.compile (the first chunk compiles)",
    )


def run(args: argparse.Namespace) -> int:
    from actloop.control import get_embodiment
    from actloop.hardware.server import PolicyServer

    policy = load_policy(
        args.policy, get_embodiment(args.embodiment), compile_inference=args.compile
    )
    token = os.environ.get(args.token_env) or None
    server = PolicyServer(
        policy,
        host=args.host,
        port=args.port,
        token=token,
        max_message_bytes=int(args.max_message_mb * (1 << 20)),
        metadata={"source": args.policy},
    )
    print(
        f"serving {args.policy} on {server.url} (auth: {'token' if token else 'none'}); "
        f"health at http://{server.host}:{server.port}/healthz",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0
