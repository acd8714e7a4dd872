"""The power simulation's per-chunk seeds equal the root's spawned children.

``simulate_power`` no longer spawns every child in the calling process: each chunk makes its
replicates' children from the root's entropy words (``ctcstats.designs._seeds``). The claim
tested here: those children have exactly the generator states of ``root.spawn``'s, for any
root (entropy of one or several ints, zero, small and large; a root that is itself a child;
a root that has spawned before), and successive ``SeedStream.take`` ranges continue as
successive ``spawn`` calls do (``power_curve`` and ``sample_size`` reuse one root).
"""

from __future__ import annotations

import numpy as np
import pytest

from ctcstats.designs._seeds import SeedStream, children, entropy_words

ROOTS = [
    np.random.SeedSequence(0),
    np.random.SeedSequence(7),
    np.random.SeedSequence(2**32),
    np.random.SeedSequence(2**100 + 12345),
    np.random.SeedSequence([5, 2**40 + 3, 0, 2**63 - 5]),
    np.random.SeedSequence([1, 2], pool_size=8),
    np.random.SeedSequence([3, 4]).spawn(3)[2],  # a root with a spawn key
]


def _states(seqs):
    return [s.generate_state(8) for s in seqs]


@pytest.mark.parametrize("root", ROOTS, ids=range(len(ROOTS)))
def test_children_equal_spawned_children(root):
    ref = _states(np.random.SeedSequence(root.entropy, spawn_key=root.spawn_key,
                                         pool_size=root.pool_size).spawn(12))
    rng = SeedStream(root).take(12)
    got = _states(children(rng, 0, 12))
    assert all((a == b).all() for a, b in zip(ref, got, strict=True))
    # any sub-range: children 5..8 of the same range
    assert all((a == b).all() for a, b in zip(ref[5:9], _states(children(rng, 5, 9)),
                                              strict=True))
    # and the generators draw the same numbers
    g1 = np.random.default_rng(np.random.SeedSequence(root.entropy, spawn_key=root.spawn_key,
                                                      pool_size=root.pool_size).spawn(1)[0])
    g2 = np.random.default_rng(children(rng, 0, 1)[0])
    assert (g1.random(5) == g2.random(5)).all()


def test_successive_takes_continue_like_successive_spawns():
    root = np.random.SeedSequence([11, 2**62])
    ref = _states(root.spawn(4) + root.spawn(6))
    stream = SeedStream(np.random.SeedSequence([11, 2**62]))
    r1, r2 = stream.take(4), stream.take(6)
    got = _states(children(r1, 0, 4) + children(r2, 0, 6))
    assert all((a == b).all() for a, b in zip(ref, got, strict=True))
    # a root that has spawned already: the stream starts after its children
    used = np.random.SeedSequence([11, 2**62])
    used.spawn(4)
    got2 = _states(children(SeedStream(used).take(6), 0, 6))
    assert all((a == b).all() for a, b in zip(ref[4:], got2, strict=True))


def test_entropy_words_are_numpys():
    from numpy.random.bit_generator import _coerce_to_uint32_array

    for ent in (0, 1, 2**32 - 1, 2**32, 2**64 + 7, [0, 0], [9, 2**33, 0, 2**63 - 1]):
        assert (entropy_words(ent) == _coerce_to_uint32_array(ent)).all()
    with pytest.raises(ValueError, match="non-negative"):
        entropy_words(-1)
