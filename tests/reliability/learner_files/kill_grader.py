"""Kills the grading pytest process, then spins: the run must not pass, nothing may linger."""

import os
import signal


def square(x):
    with open(os.environ["TOYLAB_PIDFILE"], "w") as f:
        f.write(str(os.getpid()))
    os.kill(os.getppid(), signal.SIGKILL)
    while True:
        pass
