# sig: (f8)
def k(x):
    while True:
        x = x / 2
        if x < 1:
            return x
