"""Policy server and client: websocket + msgpack-encoded numpy, never pickle."""

from .client import RemotePolicy, RemotePolicyError
from .codec import CodecError, packb, unpackb
from .server import PolicyServer

__all__ = ["CodecError", "PolicyServer", "RemotePolicy", "RemotePolicyError", "packb", "unpackb"]
