"""Cameras: capture thread, freshness, OpenCV sources, and the emulator's rendered scene."""

import time

import numpy as np
import pytest
from actloop.hardware.camera import CameraError, ThreadedCamera, opencv_camera

cv2 = pytest.importorskip("cv2")


def test_opencv_video_file_frames_arrive_with_capture_timestamps(tmp_path):
    path = str(tmp_path / "clip.avi")
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    for i in range(60):
        frame = np.zeros((48, 64, 3), np.uint8)
        frame[:, :, 2] = 200  # red in BGR
        frame[0, 0, 0] = i
        writer.write(frame)
    writer.release()
    camera = opencv_camera("front", path, fps=100)
    camera.start()
    try:
        first = _wait_for_frame(camera)
        time.sleep(0.05)
        second = camera.latest(max_age=1.0)
        assert second.index > first.index and second.timestamp > first.timestamp
        assert second.image.shape == (48, 64, 3) and second.image.dtype == np.uint8
        assert second.image[10, 10, 0] > 150 and second.image[10, 10, 2] < 60  # RGB now
    finally:
        camera.stop()


def test_stale_and_missing_frames_are_errors_not_silent_reuse():
    class Frozen:
        reads = 0

        def read(self):
            Frozen.reads += 1
            return (Frozen.reads == 1), np.zeros((4, 4, 3), np.uint8)

        def release(self):
            pass

    camera = ThreadedCamera("wrist", Frozen, fps=200)
    camera.start()
    try:
        _wait_for_frame(camera)
        time.sleep(0.05)
        with pytest.raises(CameraError, match="'wrist': newest frame is"):
            camera.read_latest(max_age=0.01)
        assert camera.failures > 0
    finally:
        camera.stop()
    with pytest.raises(CameraError, match="did not open"):
        opencv_camera("none", "/nonexistent/video.avi").start()


def test_scene_camera_renders_the_emulated_arm_moving(emulated):
    from actloop.sim.servo.camera import SceneCamera

    arm = emulated("so101", plant="mujoco", homed=True)
    camera = ThreadedCamera("front", lambda: SceneCamera(arm.plant, width=64, height=48), fps=60)
    camera.start()
    try:
        before = _wait_for_frame(camera).image
        arm.move_by_hand("shoulder_pan", 1.0)
        time.sleep(0.1)
        after = camera.read_latest(max_age=1.0)
        assert before.shape == (48, 64, 3) and before.std() > 1.0  # a scene, not a blank frame
        assert np.abs(after.astype(int) - before.astype(int)).mean() > 0.5  # the arm moved
    finally:
        camera.stop()


def _wait_for_frame(camera, timeout=5.0):
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            return camera.latest(max_age=timeout)
        except CameraError:
            time.sleep(0.005)
    raise AssertionError("no frame arrived")
