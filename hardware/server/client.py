"""A remote policy is a ``Policy``: the ControlLoop cannot tell it from a local one."""

from __future__ import annotations

import contextlib
from typing import Any

from actloop.control import ActionChunk, Observation
from websockets.sync.client import connect

from .codec import CodecError, chunk_from_wire, observation_to_wire, packb, unpackb


class RemotePolicyError(RuntimeError):
    """The server answered with an error, or not in time."""


class RemotePolicy:
    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 5.0,
        max_message_bytes: int = 8 << 20,
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else None
        self.timeout = timeout
        self.max_message_bytes = max_message_bytes
        self._stack = contextlib.ExitStack()  # websockets >= 17.1 wants the context form
        self._ws = self._stack.enter_context(
            connect(
                url,
                additional_headers=headers,
                open_timeout=timeout,
                max_size=max_message_bytes,
                compression=None,
            )
        )
        self.metadata: dict[str, Any] = self._receive("metadata")
        self.last_server_timing: dict[str, float] = {}

    def reset(self) -> None:
        self._request({"type": "reset"}, "reset_ok")

    def infer(self, observation: Observation) -> ActionChunk:
        reply = self._request(
            {"type": "infer", "observation": observation_to_wire(observation)}, "chunk"
        )
        return chunk_from_wire(reply["chunk"])

    def close(self) -> None:
        self._stack.close()

    def _request(self, message: dict, expected: str) -> dict:
        self._ws.send(packb(message))
        reply = self._receive(expected)
        self.last_server_timing = reply.get("server_timing", {})
        return reply

    def _receive(self, expected: str) -> dict:
        try:
            raw = self._ws.recv(timeout=self.timeout)
            reply = unpackb(raw, self.max_message_bytes)
        except TimeoutError:
            raise RemotePolicyError(f"no reply within {self.timeout} s") from None
        except CodecError as exc:
            raise RemotePolicyError(f"malformed reply: {exc}") from None
        if not isinstance(reply, dict) or reply.get("type") != expected:
            error = reply.get("error") if isinstance(reply, dict) else reply
            raise RemotePolicyError(f"expected a {expected!r} reply, got: {error!r}")
        return reply
