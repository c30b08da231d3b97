# sig: (f8, i4)
def k(x, n):
    return not x and not (n > 1)
