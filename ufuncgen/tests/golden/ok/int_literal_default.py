# sig: (b1)
def k(c):
    y = 3
    if c:
        y = 2 ** 40
    return y * 2
