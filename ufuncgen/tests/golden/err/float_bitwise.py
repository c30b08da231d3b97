# sig: (f8, i8)
def k(a, b):
    return a & b
