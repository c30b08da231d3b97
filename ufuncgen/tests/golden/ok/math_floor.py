# sig: (f8, i4)
def k(x, n):
    return math.floor(x) + np.floor(x) + round(x) + math.ceil(n) + math.trunc(x)
