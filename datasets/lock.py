"""One writer per local store, enforced by an OS file lock.

Two writers appending to one store would both write frames past the same committed end and
commit episodes that point at each other's frames: recorded data lost without an error. A
``flock`` on ``<store>/.writer.lock`` makes the second writer fail at once, naming who holds
the store. The kernel drops the lock when its holder dies, so a crashed writer never leaves
the store locked. Remote stores (fsspec URLs) have no such lock; their docs say so.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from pathlib import Path

from .errors import StoreLockedError

LOCK_NAME = ".writer.lock"


class WriterLock:
    """Held from construction until ``release``; ``store_dir`` must exist."""

    def __init__(self, store_dir: Path) -> None:
        self.path = Path(store_dir) / LOCK_NAME
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(self._fd)
            self.release()
            raise StoreLockedError(
                f"{store_dir}: already open for writing by {holder}; close that writer first "
                "(one writer per store)"
            ) from None
        os.ftruncate(self._fd, 0)
        os.write(self._fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname()}).encode())

    def release(self) -> None:
        """Idempotent. The file stays (unlinking a lock file races with the next writer)."""
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def _read_holder(fd: int) -> str:
    try:
        holder = json.loads(os.pread(fd, 256, 0) or b"{}")
        return f"pid {holder['pid']} on {holder['host']}"
    except (ValueError, KeyError, OSError):
        return "another writer"
