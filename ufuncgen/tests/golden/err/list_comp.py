# sig: (f8)
def k(x):
    return sum([x for _ in range(3)])
