# sig: float32(f4)
def k(x):
    # a choice between Python literals stays weak: its arms become float32 constants
    return (1.5 if x > 0 else -0.5) * x + (2.0 if x < 1 else 3)
