# sig: (f4, i8)
def k(x, n):
    if math.isnan(x) or np.isinf(n):
        return 0.0
    return x if math.isfinite(x) else -x
