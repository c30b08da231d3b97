# sig: (i8)
def k(n):
    i = 0
    while i < n:
        if i * i > n:
            break
        i += 1
    else:
        i = -1
    return i
