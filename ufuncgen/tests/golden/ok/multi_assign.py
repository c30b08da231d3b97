# sig: (f8)
def k(x):
    a = b = x * 2
    c = d = 1
    return a + b + c + d
