import os


def square(x):
    print("about to leave with os._exit(3)", flush=True)
    os._exit(3)
