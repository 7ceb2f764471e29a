import time


def square(x):
    return x * x


def train(steps):
    while True:
        time.sleep(0.1)
