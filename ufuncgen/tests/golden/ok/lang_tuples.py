# sig: f8(f8, f8)
# sig: f4(f4, i8)
# global: sincos = function
# global: clip = function
def kernel(x, y):
    a, b = x, y
    a, b = b, a
    s, c = sincos(a)
    m, e = np.frexp(x)
    return s * c + clip(hi=1.0, x=b, lo=0.0) + m + e + np.logaddexp(a, b)


def sincos(t):
    return np.sin(t), np.cos(t)


def clip(x, lo, hi):
    return min(max(x, lo), hi)
