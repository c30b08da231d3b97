# sig: (u2)
def k(x):
    """Doc."""
    pass
    "a comment string"
    return ~x
