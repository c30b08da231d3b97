# sig: (f8)
def k(x):
    if x > 0:
        y = 1.0
    return y
