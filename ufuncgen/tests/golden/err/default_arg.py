# sig: (f8)
def k(x, y=2.0):
    return x * y
