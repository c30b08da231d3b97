# sig: (u8)
def k(n):
    s = 0
    for i in range(n, 0, -1):
        s += i
    return s
