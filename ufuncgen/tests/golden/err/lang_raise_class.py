# sig: f8(f8)
def kernel(x):
    if x < 0:
        raise KeyError("no")
    return x
