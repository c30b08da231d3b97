# sig: (f8, f8)
# sig: (i8, i8)
lambda a, b: a * b + 1
