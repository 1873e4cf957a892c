import math

import numpy as np
import pytest
from actloop.control import (
    SLOT_BLOCKS,
    UNIVERSAL_DIM,
    EmbodimentSpec,
    Field,
    FieldKind,
    SpecError,
    get_embodiment,
    list_embodiments,
    register_embodiment,
)


def test_slot_blocks_tile_the_universal_vector():
    covered = sorted(
        s for start, width in SLOT_BLOCKS.values() for s in range(start, start + width)
    )
    assert covered == list(range(UNIVERSAL_DIM))


@pytest.mark.parametrize("name", list_embodiments())
def test_every_registered_embodiment_round_trips_exactly(name):
    spec = get_embodiment(name)
    rng = np.random.default_rng(0)
    native = rng.normal(size=(4, 16, spec.action_dim))
    values, mask = spec.to_universal(native)
    assert values.shape == (4, 16, UNIVERSAL_DIM)
    assert mask.sum() == spec.action_dim
    assert np.all(values[..., ~mask] == 0)
    assert np.array_equal(spec.from_universal(values), native)
    state = rng.normal(size=spec.state_dim)
    u_state, state_mask = spec.state_to_universal(state)
    assert np.array_equal(spec.state_from_universal(u_state), state)
    assert state_mask.sum() == spec.state_dim


def test_same_kind_lands_in_same_slot_across_robots():
    gripper_slots = {
        name: [f.slot for f in get_embodiment(name).action_fields if f.kind is FieldKind.GRIPPER]
        for name in list_embodiments()
    }
    assert {tuple(v) for v in gripper_slots.values()} == {(6,)}
    assert (
        get_embodiment("so101").action_fields[0].slot
        == get_embodiment("koch").action_fields[0].slot
    )


@pytest.mark.parametrize(
    ("method", "shape", "expected"),
    [
        ("to_universal", (3, 5), "last dimension 7"),
        ("from_universal", (3, 31), "last dimension 32"),
    ],
)
def test_wrong_shape_names_the_problem(method, shape, expected):
    spec = get_embodiment("panda")
    with pytest.raises(SpecError, match=expected):
        getattr(spec, method)(np.zeros(shape))


def _spec(actions, state=None, **kw):
    state = state if state is not None else (Field("j0", FieldKind.JOINT_POS, 0),)
    return EmbodimentSpec(
        kw.pop("name", "toy"),
        actions,
        state,
        kw.pop("cameras", ("front",)),
        kw.pop("control_hz", 10.0),
    )


@pytest.mark.parametrize(
    ("actions", "message"),
    [
        ((Field("j0", FieldKind.JOINT_POS, 12),), "'j0'.*joint_pos has 12"),
        (
            (Field("a", FieldKind.GRIPPER), Field("b", FieldKind.GRIPPER)),
            "'b'.*same kind and index as field 'a'",
        ),
        (
            (Field("a", FieldKind.EEF_POS_DELTA), Field("a", FieldKind.EEF_POS_DELTA, 1)),
            "'a'.*used twice",
        ),
        ((Field("j0", FieldKind.JOINT_POS, 0, 1.0, -1.0),), "'j0'.*low"),
        ((Field("j0", FieldKind.JOINT_POS, 0, max_step=-1.0),), "'j0'.*max_step"),
        ((Field("g", FieldKind.GRIPPER),), "'g'.*cannot hold"),
        ((Field("x", "eef_pos_delta"),), "'x'.*FieldKind"),
        ((), "action_fields is empty"),
    ],
)
def test_malformed_specs_name_the_offending_field(actions, message):
    with pytest.raises(SpecError, match=message):
        _spec(actions)


def test_malformed_spec_level_values_are_rejected():
    ok = (Field("j0", FieldKind.JOINT_POS, 0),)
    with pytest.raises(SpecError, match="control_hz"):
        _spec(ok, control_hz=math.nan)
    with pytest.raises(SpecError, match="camera names repeat"):
        _spec(ok, cameras=("front", "front"))
    with pytest.raises(SpecError, match="identifier"):
        _spec(ok, name="bad name!")


def test_hold_action_keeps_absolute_fields_and_zeroes_deltas():
    so101 = get_embodiment("so101")
    state = np.linspace(-0.5, 0.5, so101.state_dim)
    assert np.array_equal(so101.hold_action(state), state)
    panda = get_embodiment("panda")
    panda_state = np.arange(panda.state_dim, dtype=float) / 10
    hold = panda.hold_action(panda_state)
    assert np.all(hold[:6] == 0)
    assert hold[6] == panda_state[-1]


def test_registry_refuses_a_conflicting_spec_and_suggests_names():
    with pytest.raises(SpecError, match="already registered"):
        register_embodiment(_spec((Field("j0", FieldKind.JOINT_POS, 0),), name="panda"))
    with pytest.raises(KeyError, match="did you mean: panda"):
        get_embodiment("pandaa")
