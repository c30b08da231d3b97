# sig: (f8, i8)
def k(x, n):
    acc = 0
    for i in range(n):
        acc += x * i
    return acc
