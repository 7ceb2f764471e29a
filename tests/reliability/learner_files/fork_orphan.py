"""Forks a sleeper through libc (past the worker's audit hook) and still answers correctly."""

import ctypes
import os
import time


def square(x):
    pid = ctypes.CDLL(None).fork()
    if pid == 0:
        time.sleep(600)
        os._exit(0)
    time.sleep(0.2)
    return x * x
