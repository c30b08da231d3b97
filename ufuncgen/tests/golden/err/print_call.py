# sig: (f8)
def k(x):
    print(x)
    return x
