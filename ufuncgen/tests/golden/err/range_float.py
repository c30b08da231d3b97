# sig: (f8)
def k(x):
    s = 0
    for i in range(x):
        s += i
    return s
