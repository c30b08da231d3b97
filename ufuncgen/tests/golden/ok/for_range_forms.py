# sig: (i4, u8)
def k(n, m):
    s = 0
    for i in range(n):
        s += i
    for j in range(1, n, 2):
        s -= j
    for q in range(m):
        s += 1
    else:
        s *= 2
    return s
