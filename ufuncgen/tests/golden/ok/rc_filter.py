# sig: float64(float64, float64)
# sig: float32(float32, float32)
import math

@vectorize(["float64(float64, float64)", "float32(float32, float32)"])
def rc(v, t):
    return v * (1 - math.exp(1 / t))
