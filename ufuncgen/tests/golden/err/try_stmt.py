# sig: (f8)
def k(x):
    try:
        return 1 / x
    except ZeroDivisionError:
        return 0.0
