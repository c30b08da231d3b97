# sig: (f8)
# global: data = other list
def k(x):
    return x + data
