# sig: (i8)
def k(n):
    found = -1
    for i in range(n):
        for j in range(i):
            if i * j == n:
                found = i
                break
        else:
            continue
        break
    r = 0
    while r < n:
        r += 1
        if r > 10:
            break
    else:
        r = 100
    return found + r
