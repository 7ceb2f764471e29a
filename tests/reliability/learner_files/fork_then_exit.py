"""Forks a sleeper that keeps the worker's pipes open, then the worker itself dies."""

import os
import time


def square(x):
    pid = os.fork()
    if pid == 0:
        with open(os.environ["TOYLAB_PIDFILE"], "w") as f:
            f.write(str(os.getpid()))
        time.sleep(600)
        os._exit(0)
    time.sleep(0.2)
    os._exit(0)
