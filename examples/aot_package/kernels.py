"""The package's kernels: compiled by `ufuncgen build` into fastkernels/_kernels.abi3.so."""

from ufuncgen import guvectorize, vectorize


@vectorize(["float64(float64, float64)", "float32(float32, float32)"], identity=0)
def scaled_add(a, b):
    """a + 2 b"""
    return a + 2 * b


@vectorize(["float64(float64)"])
def clip01(x):
    return min(max(x, 0.0), 1.0)


@guvectorize(["void(float64[:], float64[:])"], "(n)->()")
def norm2(a, out):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i]
    out[0] = s**0.5
