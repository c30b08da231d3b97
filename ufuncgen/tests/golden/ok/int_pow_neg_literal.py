# sig: (i4, f8)
def k(n, x):
    return n ** -1 + 2 ** -1 + x ** 0.5 + 2 ** 0.5
