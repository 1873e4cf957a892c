"""Bad stores fail loudly, naming the file or key: never zeros, never a skipped frame."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from actloop.datasets import CorruptDataError, EpisodeStore, SchemaError, StoreError, WindowDataset

FIRST_FRONT_CHUNK = "data/images/front/c/0/0/0/0"


def test_missing_chunk_is_detected_on_open(small_store):
    (Path(small_store) / FIRST_FRONT_CHUNK).unlink()
    with pytest.raises(CorruptDataError, match=r"images/front.*missing.*c/0/0/0/0"):
        EpisodeStore(small_store)


def test_missing_chunk_is_detected_when_reading_without_the_open_check(small_store):
    store = EpisodeStore(small_store, check_chunks=False)
    (Path(small_store) / FIRST_FRONT_CHUNK).unlink()
    with pytest.raises(CorruptDataError, match=r"chunk file .*c/0/0/0/0.* is missing"):
        store.read("images/front", 0, 2)


def test_truncated_chunk_names_the_file(small_store):
    chunk = Path(small_store) / FIRST_FRONT_CHUNK
    chunk.write_bytes(chunk.read_bytes()[:-9])
    with pytest.raises(CorruptDataError, match=r"c/0/0/0/0.*truncated or corrupt"):
        EpisodeStore(small_store).read("images/front", 0, 1)


def test_flipped_byte_in_a_chunk_is_detected(small_store):
    chunk = Path(small_store) / "data/images/wrist/c/1/0/0/0"
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0xFF
    chunk.write_bytes(bytes(data))
    with pytest.raises(CorruptDataError, match="images/wrist"):
        EpisodeStore(small_store).episode(0)


def test_corrupt_lowdim_chunk_is_detected(small_store):
    chunk = Path(small_store) / "data/state/c/0/0"
    chunk.write_bytes(b"\x00" * 20)
    with pytest.raises(CorruptDataError, match="data/state"):
        EpisodeStore(small_store).lowdim("state")


def test_missing_key_names_the_key(small_store):
    shutil.rmtree(Path(small_store) / "data/action")
    with pytest.raises(SchemaError, match="'data/action' is missing"):
        EpisodeStore(small_store)


def test_array_shape_that_disagrees_with_the_commit_names_the_key(small_store):
    meta_file = Path(small_store) / "data/state/zarr.json"
    meta = json.loads(meta_file.read_text())
    meta["shape"][1] = 6
    meta["chunk_grid"]["configuration"]["chunk_shape"][1] = 6
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(SchemaError, match=r"'data/state' holds frames of \(6,\)"):
        EpisodeStore(small_store)


def test_array_dtype_that_disagrees_with_the_commit_names_the_key(small_store):
    meta_file = Path(small_store) / "data/action/zarr.json"
    meta = json.loads(meta_file.read_text())
    meta["data_type"] = "float64"
    meta_file.write_text(json.dumps(meta))
    with pytest.raises(SchemaError, match=r"'data/action'.*float64.*float32"):
        EpisodeStore(small_store)


def test_not_a_store(tmp_path):
    with pytest.raises(StoreError, match="no episode store"):
        EpisodeStore(str(tmp_path / "nothing"))


def test_wrong_fps_names_the_episode(small_store):
    with pytest.raises(SchemaError, match=r"episode 0: fps 50.0 != expected 30"):
        WindowDataset([small_store], fps=30)


def test_checksum_mismatch_names_episode_and_key(small_store):
    root = Path(small_store) / "zarr.json"
    meta = json.loads(root.read_text())
    meta["attributes"]["actloop"]["episodes"][1]["checksums"]["action"] ^= 1
    root.write_text(json.dumps(meta))
    store = EpisodeStore(small_store)
    store.episode(0)
    with pytest.raises(CorruptDataError, match=r"episode 1 key 'action': checksum"):
        store.verify()


def test_missing_episode_field_is_named(small_store):
    root = Path(small_store) / "zarr.json"
    meta = json.loads(root.read_text())
    del meta["attributes"]["actloop"]["episodes"][2]["instruction"]
    root.write_text(json.dumps(meta))
    with pytest.raises(SchemaError, match=r"episode 2.*missing \['instruction'\]"):
        EpisodeStore(small_store)
