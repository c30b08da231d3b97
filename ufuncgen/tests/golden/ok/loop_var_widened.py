# sig: (i8)
def k(n):
    for i in range(n):
        pass
    i = 0.5
    return i
