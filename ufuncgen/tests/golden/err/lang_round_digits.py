# sig: f8(f8, i8)
def kernel(x, n):
    return round(x, n)
