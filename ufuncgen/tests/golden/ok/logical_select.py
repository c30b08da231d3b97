# sig: (i4, f4)
def k(a, b):
    c = a and b
    d = a or 2
    return (1.0 if c else 0.0) + d if not a else b
