"""How fast the grammar icons are drawn: prints icons/second for make_icons at 32x32.

Run: PYTHONPATH=. .venv/bin/python bench/icons_speed.py [n] [repeats]
"""

import sys
import time

from labs.x2_multimodal.icons import make_icons


def main(n: int = 1000, repeats: int = 5) -> None:
    make_icons(50, seed=123)  # warm up imports and Pillow's font/draw paths
    best = float("inf")
    for r in range(repeats):
        start = time.perf_counter()
        make_icons(n, seed=r)
        best = min(best, time.perf_counter() - start)
    print(
        f"make_icons({n}, size=32): best of {repeats} {best * 1000:.0f} ms, {n / best:,.0f} icons/s"
    )


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
