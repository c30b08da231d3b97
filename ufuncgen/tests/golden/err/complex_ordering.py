# sig: (c16, c16)
def k(a, b):
    return a < b
