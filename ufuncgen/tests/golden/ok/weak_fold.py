# sig: (f4)
def k(x):
    return x * (2.0 * 3 - 1) + (-1) + 2 ** 3 + 7 // -2
