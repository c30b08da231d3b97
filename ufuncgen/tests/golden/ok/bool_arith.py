# sig: (b1, b1)
def k(a, b):
    # Python/Numba: bools in arithmetic are ints; bitwise stays bool
    return (a + b) * 2 + (a & b) + (~a) + (-b)
