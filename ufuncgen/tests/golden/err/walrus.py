# sig: (f8)
def k(x):
    return (y := x) + 1
