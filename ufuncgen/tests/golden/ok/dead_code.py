# sig: (f8)
def k(x):
    return x
    y = undefined + "string"
