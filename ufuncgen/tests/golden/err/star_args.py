# sig: (f8)
def k(*xs):
    return 1.0
