"""Writes stream.txt: reference outputs of CPython's random module.

Run from this folder with any CPython 3: python3 gen.py
Each line is "<seed> <kind> <value repr>", kind is random or gauss; the Go
test in scalar/pyrand replays the same calls and demands identical bits.
"""
import random

with open("stream.txt", "w") as f:
    for seed in (42, 0, 7, 123456789, 2**40 + 5):
        random.seed(seed)
        for _ in range(300):
            f.write(f"{seed} random {random.random()!r}\n")
        random.seed(seed)
        for _ in range(2000):
            f.write(f"{seed} gauss {random.gauss(0.0, 1.0)!r}\n")
        random.seed(seed)
        for _ in range(50):
            f.write(f"{seed} gauss01 {random.gauss(0.0, 0.1)!r}\n")
