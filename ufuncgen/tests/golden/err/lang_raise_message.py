# sig: f8(f8)
def kernel(x):
    msg = 1
    if x < 0:
        raise ValueError(msg)
    return x
