# sig: f8(f8, i8)
def kernel(x, n):
    assert n >= 0, "n must be non-negative"
    assert x
    if n > 10:
        raise ValueError("n too large")
    elif n == 7:
        raise ArithmeticError
    return x * n
