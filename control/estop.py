"""A latching emergency stop: once tripped it stays tripped until a person resets it.

It can be tripped from any thread: the API (``trip``), a POSIX signal, or a key on a
terminal. The loop checks it every tick and stops within that tick.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import TextIO


class EStop:
    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    @property
    def tripped(self) -> bool:
        return self._event.is_set()

    def trip(self, reason: str = "api") -> None:
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    def reset(self) -> None:
        """Deliberate human action only: the loop never resets an e-stop itself."""
        self._event.clear()
        self.reason = ""

    def install_signal(self, signum: int = signal.SIGINT) -> None:
        """Trip on ``signum`` (main thread only, a Python rule for signal handlers)."""
        signal.signal(
            signum, lambda number, frame: self.trip(f"signal {signal.Signals(number).name}")
        )

    def watch_key(self, stream: TextIO | None = None, key: str = "") -> threading.Thread:
        """Trip when a line starting with ``key`` (any line when empty) is read from ``stream``."""
        stream = stream or sys.stdin

        def watch() -> None:
            for line in stream:
                if line.startswith(key):
                    self.trip(f"key {line.strip()!r}")
                    return

        thread = threading.Thread(target=watch, name="estop-key", daemon=True)
        thread.start()
        return thread
