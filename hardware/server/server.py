"""Serve any control ``Policy`` over a websocket: msgpack messages, token auth, limits.

Protocol (every message a binary msgpack map with a ``type``):

- on connect the server sends ``{"type": "metadata", ...}`` (embodiment, horizon, ...)
- ``{"type": "infer", "observation": {...}}`` -> ``{"type": "chunk", "chunk": {...},
  "server_timing": {"decode_ms", "infer_ms", "total_ms"}}``
- ``{"type": "reset"}`` -> ``{"type": "reset_ok", "server_timing": {...}}``
- anything malformed -> ``{"type": "error", "error": "..."}``; the connection stays up.

``GET /healthz`` answers without auth; every other request needs
``Authorization: Bearer <token>`` when a token is set. Messages over ``max_message_bytes``
close the connection (websocket code 1009) before they are parsed.
"""

from __future__ import annotations

import hmac
import http
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, ClassVar

from actloop.control import Policy
from websockets.sync.server import ServerConnection, serve

from .codec import CodecError, chunk_to_wire, observation_from_wire, packb, unpackb

log = logging.getLogger(__name__)
PROTOCOL_VERSION = 1


class PolicyServer:
    def __init__(
        self,
        policy: Policy,
        *,
        host: str = "127.0.0.1",
        port: int = 8765,
        token: str | None = None,
        max_message_bytes: int = 8 << 20,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self.policy = policy
        self.token = token
        self.max_message_bytes = max_message_bytes
        self.metadata = {
            "type": "metadata",
            "protocol_version": PROTOCOL_VERSION,
            **(metadata or {}),
            **_policy_metadata(policy),
        }
        self.counts = {"connections": 0, "refused": 0, "requests": 0, "errors": 0}
        self._infer_lock = threading.Lock()  # one model, many clients: one call at a time
        self._server = serve(
            self._handle,
            host,
            port,
            process_request=self._gate,
            max_size=max_message_bytes,
            compression=None,
        )
        self.host, self.port = self._server.socket.getsockname()[:2]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"ws://{self.host}:{self.port}"

    def start(self) -> PolicyServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="policy-server", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=5.0)

    def __enter__(self) -> PolicyServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- HTTP stage: health and auth, before any websocket frame is read ----------------
    def _gate(self, connection: ServerConnection, request: Any) -> Any:
        if request.path.split("?")[0] == "/healthz":
            body = json.dumps({"status": "ok", **self.counts}).encode()
            return connection.respond(http.HTTPStatus.OK, body.decode())
        if self.token is not None:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {self.token}".encode()):
                self.counts["refused"] += 1
                return connection.respond(http.HTTPStatus.UNAUTHORIZED, "missing or wrong token\n")
        return None

    # -- websocket stage -------------------------------------------------------------------
    def _handle(self, connection: ServerConnection) -> None:
        self.counts["connections"] += 1
        connection.send(packb(self.metadata))
        for message in connection:
            started = time.perf_counter()
            connection.send(packb(self._answer(message, started)))

    def _answer(self, message: Any, started: float) -> dict[str, Any]:
        self.counts["requests"] += 1
        try:
            if not isinstance(message, bytes):
                raise CodecError("text frames are not accepted; send binary msgpack")
            request = unpackb(message, self.max_message_bytes)
            if not isinstance(request, dict):
                raise CodecError("a message must be a map with a 'type'")
            handler = self._HANDLERS.get(request.get("type"))
            if handler is None:
                raise CodecError(
                    f"unknown message type {request.get('type')!r}; "
                    f"expected one of {sorted(self._HANDLERS)}"
                )
            decoded = time.perf_counter()
            reply = handler(self, request)
        except CodecError as exc:
            self.counts["errors"] += 1
            return {"type": "error", "error": str(exc)}
        except Exception as exc:  # a policy failure must not kill the server
            log.exception("request failed")
            self.counts["errors"] += 1
            return {"type": "error", "error": f"policy failed: {type(exc).__name__}: {exc}"}
        done = time.perf_counter()
        reply["server_timing"] = {
            "decode_ms": 1e3 * (decoded - started),
            "handle_ms": 1e3 * (done - decoded),
            "total_ms": 1e3 * (done - started),
        }
        return reply

    def _infer(self, request: dict) -> dict[str, Any]:
        observation = observation_from_wire(request.get("observation"))
        with self._infer_lock:
            chunk = self.policy.infer(observation)
        return {"type": "chunk", "chunk": chunk_to_wire(chunk)}

    def _reset(self, request: dict) -> dict[str, Any]:
        with self._infer_lock:
            self.policy.reset()
        return {"type": "reset_ok"}

    _HANDLERS: ClassVar[dict[str, Callable[..., dict[str, Any]]]] = {
        "infer": _infer,
        "reset": _reset,
    }


def _policy_metadata(policy: Policy) -> dict[str, Any]:
    describe = getattr(policy, "metadata", None)
    info = describe() if callable(describe) else {}
    return {k: v for k, v in info.items() if isinstance(v, (str, int, float, bool, list))}
