"""``actloop collect`` / ``actloop render`` end to end, and the gymnasium wrapper."""

import numpy as np
from actloop.cli.main import main
from actloop.datasets import EpisodeStore
from actloop.sim import make_gym


def test_collect_writes_successful_episodes(tmp_path, capsys):
    out = tmp_path / "demo.zarr"
    code = main(
        [
            "collect",
            "--task",
            "so101/reach",
            "--episodes",
            "2",
            "--out",
            str(out),
            "--image-size",
            "32",
            "--noise",
            "0.2",
        ]
    )
    assert code == 0
    store = EpisodeStore(str(out))
    assert store.num_episodes == 2
    assert "success 2/2" in capsys.readouterr().out
    # the privileged task facts are kept for auxiliary losses (policies/heads/goal.py)
    goal, tcp = store.lowdim("extras/goal_pos"), store.lowdim("extras/tcp_pos")
    assert goal.shape == tcp.shape == (store.num_frames, 3)
    first = store.meta(0)
    assert np.allclose(goal[first.start : first.end], goal[first.start])  # one marker per episode
    gap = np.linalg.norm(goal - tcp, axis=1)[first.start : first.end]
    assert gap[-1] < 0.5 * gap[0]  # the expert closed in on the recorded goal


def test_collect_unknown_task_is_a_clear_error(tmp_path, capsys):
    code = main(
        [
            "collect",
            "--task",
            "so101/pick_plase",
            "--episodes",
            "1",
            "--out",
            str(tmp_path / "x.zarr"),
        ]
    )
    assert code == 2
    assert "so101/pick_place" in capsys.readouterr().err


def test_render_saves_one_png_per_camera(tmp_path):
    assert (
        main(
            [
                "render",
                "--task",
                "panda/stack",
                "--seed",
                "3",
                "--out",
                str(tmp_path),
                "--image-size",
                "48",
            ]
        )
        == 0
    )
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "panda_stack_seed3_front.png",
        "panda_stack_seed3_wrist.png",
    ]


def test_gym_wrapper_follows_gymnasium_api():
    env = make_gym("panda/reach", image_size=32)
    obs, info = env.reset(seed=4)
    assert env.observation_space.contains(obs) and info["instruction"]
    obs, reward, _terminated, truncated, info = env.step(env.action_space.sample())
    assert env.observation_space.contains(obs)
    assert reward in (0.0, 1.0) and not truncated
    again, _ = env.reset(seed=4)
    first, _ = make_gym("panda/reach", image_size=32).reset(seed=4)
    assert np.array_equal(again["front"], first["front"])
    env.close()
