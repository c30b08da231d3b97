# sig: (f4, i8, c8)
def k(a, b, z):
    return max(a, b, 0) + min(a, 1) + np.maximum(a, b) + abs(b) + abs(z) + np.fmin(a, 2.0)
