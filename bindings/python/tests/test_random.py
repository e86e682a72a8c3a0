"""The counter-based generator: the engine's numbers equal a numpy reimplementation of the
documented Philox4x32-10 rule (swiftnn/tensor.h), for rand and randn, and the offset advances."""
import numpy as np

import swiftnn

M0, M1, W0, W1 = 0xD2511F53, 0xCD9E8D57, 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox(block, seed):
    c = [block & MASK, (block >> 32) & MASK, 0, 0]
    k0, k1 = seed & MASK, (seed >> 32) & MASK
    for r in range(10):
        p0, p1 = M0 * c[0], M1 * c[2]
        c = [((p1 >> 32) ^ c[1] ^ k0) & MASK, p1 & MASK, ((p0 >> 32) ^ c[3] ^ k1) & MASK, p0 & MASK]
        if r < 9:
            k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
    return c


def ref_rand(seed, offset, n):
    out = np.empty(n, np.float32)
    for i in range(n):
        out[i] = np.float32((philox(offset + i // 4, seed)[i % 4] >> 8) * 2.0 ** -24)
    return out, offset + (n + 3) // 4


def ref_randn(seed, offset, n):
    out = np.empty(n, np.float32)
    for i in range(n):
        x0, x1, _, _ = philox(offset + i, seed)
        u1, u2 = (x0 + 1) * 2.0 ** -32, x1 * 2.0 ** -32
        out[i] = np.float32(np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2))
    return out, offset + n


def test_philox_known_answer():
    # Random123's published known-answer vector for philox4x32-10, counter 0 / key 0.
    assert philox(0, 0) == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]


def test_rand_and_randn_follow_the_documented_rule():
    seed = 0x1234_5678_9ABC_DEF0
    swiftnn.manual_seed(seed)
    a = swiftnn.rand(3, 7).numpy().ravel()          # 21 values -> 6 blocks
    b = swiftnn.randn(5, 3).numpy().ravel()         # 15 blocks
    c = swiftnn.rand(2).numpy().ravel()
    ea, off = ref_rand(seed, 0, 21)
    eb, off = ref_randn(seed, off, 15)
    ec, off = ref_rand(seed, off, 2)
    np.testing.assert_array_equal(a, ea)
    np.testing.assert_array_equal(b, eb)
    np.testing.assert_array_equal(c, ec)


def test_same_seed_same_numbers_and_ranges():
    swiftnn.manual_seed(7)
    x = swiftnn.rand(1000).numpy()
    swiftnn.manual_seed(7)
    y = swiftnn.rand(1000).numpy()
    np.testing.assert_array_equal(x, y)
    assert x.min() >= 0 and x.max() < 1 and 0.45 < x.mean() < 0.55
    swiftnn.manual_seed(7)
    z = swiftnn.randn(20000).numpy()
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03


def test_a_generator_draws_the_documented_stream_and_leaves_the_global_one_alone():
    seed = 0x0BAD_5EED
    g = swiftnn.Generator().manual_seed(seed)
    swiftnn.manual_seed(3)
    before = swiftnn.rand(4).numpy()
    a = swiftnn.rand(3, 7, generator=g).numpy().ravel()
    b = swiftnn.randn(5, generator=g).numpy()
    ea, off = ref_rand(seed, 0, 21)
    eb, off = ref_randn(seed, off, 5)
    np.testing.assert_array_equal(a, ea)
    np.testing.assert_array_equal(b, eb)
    assert g.get_state() == (seed, 0, off)
    swiftnn.manual_seed(3)
    np.testing.assert_array_equal(swiftnn.rand(4).numpy(), before)  # the global stream is untouched
    state = g.get_state()
    x = swiftnn.randn(6, generator=g, dtype=swiftnn.float64).numpy()
    g.set_state(state)
    np.testing.assert_array_equal(swiftnn.randn(6, generator=g, dtype=swiftnn.float64).numpy(), x)


def test_nn_init_takes_a_generator():
    inits = [lambda t, g: swiftnn.nn.init.uniform_(t, -1, 1, generator=g),
             lambda t, g: swiftnn.nn.init.normal_(t, 0, 2, generator=g),
             lambda t, g: swiftnn.nn.init.trunc_normal_(t, generator=g),
             lambda t, g: swiftnn.nn.init.xavier_normal_(t, generator=g),
             lambda t, g: swiftnn.nn.init.kaiming_uniform_(t, a=5 ** 0.5, generator=g),
             lambda t, g: swiftnn.nn.init.orthogonal_(t, generator=g)]
    for init in inits:
        a, b = swiftnn.empty(8, 5), swiftnn.empty(8, 5)
        init(a, swiftnn.Generator().manual_seed(11))
        swiftnn.manual_seed(11)
        init(b, None)  # the global generator seeded alike gives the same tensor
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with np.testing.assert_raises(TypeError):
        swiftnn.rand(2, generator=np.random.default_rng(0))
