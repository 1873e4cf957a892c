"""Errors raised by the episode store. Each names the store, key, episode or file at fault.

They subclass ``ValueError`` so the CLI reports them as user errors. Nothing in this room
returns zeros or skips data silently: a missing chunk, a torn file or a schema mismatch
always surfaces as one of these.
"""

from __future__ import annotations


class StoreError(ValueError):
    """Base class: something about an episode store is wrong or unusable."""


class SchemaError(StoreError):
    """A key is missing, or an array's shape, dtype or an episode's fps is not what was expected."""


class CorruptDataError(StoreError):
    """Committed data cannot be read back intact: a missing, truncated or corrupt chunk file,
    or a per-episode checksum that does not match."""


class WriterError(StoreError):
    """The background writer failed; the episode it was writing was not committed."""


class StoreLockedError(StoreError):
    """Another writer holds the store (``lock.py``)."""
