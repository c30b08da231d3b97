# sig: (f8)
def k(x):
    s = "hello"
    return x
