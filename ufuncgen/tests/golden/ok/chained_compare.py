# sig: (f8, f8, i4)
def k(a, b, c):
    return 0 < a + b <= c < 10
