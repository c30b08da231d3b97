# sig: (i1, i1)
# sig: (f4, i2)
# sig: (i4, i4)
def k(a, b):
    return a / b
