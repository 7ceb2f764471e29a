import ctypes


def square(x):
    print("about to read address 0", flush=True)
    return ctypes.string_at(0)
