# sig: (f8)
def k(x):
    if x > 0:
        y = 1
    elif x < 0:
        y = -1
    else:
        y = 0.5
    return y
