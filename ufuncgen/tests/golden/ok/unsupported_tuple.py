# sig: (f8)
def k(x):
    a, b = x, x
    return a
