import sys


def square(x):
    line = "x" * 1023 + "\n"
    for _ in range(50):
        sys.stdout.write(line * 1024)  # 1 MB a time, 50 MB in all
    sys.stdout.write("the last line of a very long story\n")
    return x * x
