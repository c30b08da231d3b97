# sig: (f8)
def k(x):
    return round(x, 2)
