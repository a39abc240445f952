"""The compiled twister behind the county's network is CPython's ``random.Random``."""

from __future__ import annotations

import random

import numpy as np
import pytest

from abm.build_kernels import mt_words


@pytest.mark.parametrize("seed", [0, 1, 5, 12345, 2**31 - 2, 2**32 - 1])
def test_mt_words_are_random_random_outputs(seed):
    # 1,500 words: past the second twist of the 624-word state.
    rand = random.Random(seed)
    expected = np.array([rand.getrandbits(32) for _ in range(1500)], dtype=np.uint64)
    words = mt_words(seed, 1500)
    assert words.dtype == np.uint64
    assert np.array_equal(words, expected)


def test_mt_words_prefix_does_not_depend_on_count():
    # The rewiring asks again for more words from the start; the first ones must repeat.
    assert np.array_equal(mt_words(99, 700)[:10], mt_words(99, 10))
