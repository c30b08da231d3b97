# sig: (f8)
def k(x):
    return x(1)
