# sig: (i4)
def k(x):
    if x > 3:
        x = x * 0.5
    return x
