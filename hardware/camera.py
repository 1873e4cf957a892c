"""Cameras with a capture thread: the control tick takes the newest frame, never waits.

Any source with OpenCV's ``VideoCapture`` interface works (``read() -> (ok, BGR frame)``,
``release()``): a USB camera or a video file through OpenCV, or the emulator's MuJoCo
scene camera. The source is opened inside the capture thread, because some backends
(EGL/OpenGL contexts among them) belong to the thread that created them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

log = logging.getLogger(__name__)


class CameraError(RuntimeError):
    """No frame, or only a frame older than the caller accepts."""


class VideoSource(Protocol):
    def read(self) -> tuple[bool, Any]: ...

    def release(self) -> None: ...


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # HxWx3 uint8 RGB
    timestamp: float  # time.perf_counter() when captured
    index: int


class ThreadedCamera:
    def __init__(
        self, name: str, open_source: Callable[[], VideoSource], fps: float = 30.0
    ) -> None:
        self.name = name
        self.fps = fps
        self._open_source = open_source
        self._latest: Frame | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._opened = threading.Event()
        self._thread: threading.Thread | None = None
        self.failures = 0
        self.error: BaseException | None = None

    def start(self, timeout: float = 5.0) -> None:
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._capture, name=f"camera {self.name}", daemon=True
        )
        self._thread.start()
        if not self._opened.wait(timeout) or self.error is not None:
            self.stop()
            reason = self.error or f"no frame within {timeout} s"
            raise CameraError(f"camera {self.name!r} did not open: {reason}")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    def latest(self, max_age: float) -> Frame:
        """The newest frame, if captured within ``max_age`` seconds; else ``CameraError``."""
        with self._lock:
            frame = self._latest
        if frame is None:
            raise CameraError(f"camera {self.name!r} has no frame yet")
        age = time.perf_counter() - frame.timestamp
        if age > max_age:
            raise CameraError(
                f"camera {self.name!r}: newest frame is {age:.3f} s old (max {max_age} s)"
            )
        return frame

    def read_latest(self, max_age: float) -> np.ndarray:
        return self.latest(max_age).image

    def _capture(self) -> None:
        try:
            source = self._open_source()
        except BaseException as exc:
            self.error = exc
            self._opened.set()
            return
        index, period = 0, 1.0 / self.fps
        try:
            while not self._stop.is_set():
                started = time.perf_counter()
                ok, bgr = source.read()
                if not ok or bgr is None:
                    self.failures += 1
                    self._stop.wait(period)
                    continue
                frame = Frame(np.ascontiguousarray(bgr[..., ::-1]), time.perf_counter(), index)
                with self._lock:
                    self._latest = frame
                self._opened.set()  # start() returns once the first frame is in
                index += 1
                self._stop.wait(max(0.0, period - (time.perf_counter() - started)))
        finally:
            source.release()


def opencv_camera(
    name: str,
    device: int | str,
    *,
    width: int | None = None,
    height: int | None = None,
    fps: float = 30.0,
) -> ThreadedCamera:
    """A camera (index) or video file/stream (path, URL) through ``cv2.VideoCapture``."""

    def open_source() -> VideoSource:
        import cv2

        capture = cv2.VideoCapture(device)
        if not capture.isOpened():
            raise CameraError(f"OpenCV could not open {device!r}")
        for prop, value in (
            (cv2.CAP_PROP_FRAME_WIDTH, width),
            (cv2.CAP_PROP_FRAME_HEIGHT, height),
            (cv2.CAP_PROP_FPS, fps),
        ):
            if value:
                capture.set(prop, value)
        return capture

    return ThreadedCamera(name, open_source, fps)
