"""The per-replicate seeds of the power simulation, made where the replicates run.

``simulate_power`` gives replicate i the i-th child of one :class:`numpy.random.SeedSequence`
(``root.spawn(n_sim)[i]``). Spawning every child in the calling process and shipping the
children inside the tasks costs ~20–50 µs a child there (``spawn`` converts the root's entropy
to 32-bit words once per child) and a few ms of pickling per task — serial work that a
second worker cannot share. A :class:`SeedStream` hands out index ranges instead; each chunk
builds its own children from the root's entropy words (:func:`children`), equal to
``root.spawn``'s children (same entropy words, spawn key and pool size, hence the same
generator states — tested), in ~8 µs each.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

__all__ = ["SeedRange", "SeedStream", "children", "entropy_words"]


def entropy_words(entropy) -> np.ndarray:
    """The 32-bit words :class:`~numpy.random.SeedSequence` mixes for ``entropy`` (an int ≥ 0
    or a sequence of them): each int least significant word first, at least one word."""
    vals = [entropy] if isinstance(entropy, (int, np.integer)) else list(entropy)
    words: list[int] = []
    for v in vals:
        v = int(v)
        if v < 0:
            raise ValueError("entropy must be non-negative")
        words.append(v & 0xFFFFFFFF)
        v >>= 32
        while v:
            words.append(v & 0xFFFFFFFF)
            v >>= 32
    return np.array(words, dtype=np.uint32)


class SeedRange(NamedTuple):
    """Children ``start … start + count − 1`` of a root given by its entropy words, spawn
    key and pool size (what a chunk of replicates needs to make its seeds)."""

    words: np.ndarray
    spawn_key: tuple
    pool_size: int
    start: int


class SeedStream:
    """Consecutive children of ``root`` as successive ``root.spawn(k)`` calls would give
    them (the root itself is not advanced)."""

    def __init__(self, root: np.random.SeedSequence) -> None:
        self._words = entropy_words(root.entropy)
        self._key = tuple(root.spawn_key)
        self._pool = int(root.pool_size)
        self._next = int(root.n_children_spawned)

    def take(self, count: int) -> SeedRange:
        """The next ``count`` children (as a range: see :func:`children`)."""
        out = SeedRange(self._words, self._key, self._pool, self._next)
        self._next += int(count)
        return out


def children(seeds: SeedRange, lo: int, hi: int) -> list[np.random.SeedSequence]:
    """Children ``seeds.start + lo`` … ``seeds.start + hi − 1``: equal to the root's
    ``spawn`` children (same generator states)."""
    w, key, pool = seeds.words, seeds.spawn_key, seeds.pool_size
    return [np.random.SeedSequence(w, spawn_key=(*key, i), pool_size=pool)
            for i in range(seeds.start + lo, seeds.start + hi)]
