# sig: (u1)
def k(x):
    return x < 300
