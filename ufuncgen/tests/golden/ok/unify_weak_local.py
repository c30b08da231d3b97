# sig: (f4, b1)
def k(x, c):
    y = 0.0
    if c:
        y = x
    return y
