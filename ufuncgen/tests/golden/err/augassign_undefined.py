# sig: (f8)
def k(x):
    total += x
    return total
