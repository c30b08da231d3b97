# sig: (c16)
def k(z):
    return math.sin(z)
