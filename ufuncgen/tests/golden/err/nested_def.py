# sig: (f8)
def k(x):
    def g(y):
        return y
    return x
