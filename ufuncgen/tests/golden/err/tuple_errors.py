# sig: f8(f8)
def kernel(x):
    a, (b, c) = x, (x, x)
    return a
