# sig: i8(i8, i8)
def kernel(a, b):
    return divmod(a, b)
