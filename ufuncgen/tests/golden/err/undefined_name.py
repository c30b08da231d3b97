# sig: (f8)
def k(x):
    return x + undefined_thing
