# sig: (f4, i8)
def k(x, n):
    a = 0
    b = a
    for i in range(n):
        b = a + 1
        a = b * x
        c = a
    else:
        c = 0.0
    return b + c
