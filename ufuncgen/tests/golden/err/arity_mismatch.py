# sig: (f8)
def k(a, b):
    return a + b
