"""Time matcher.generate.generate_instance at growing sizes and print a table.

Usage: python scripts/bench_generate.py [--sizes 1000,10000,100000] [--depots 20] [--regime default]
"""

from __future__ import annotations

import argparse
import time

import orjson

from matcher.generate import REGIMES, generate_instance


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--depots", type=int, default=20)
    parser.add_argument("--regime", choices=REGIMES, default="default")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    generate_instance(10, 10, 1, seed=0)  # load the data tables once, outside the timings
    print(f"regime={args.regime} depots={args.depots} seed={args.seed}")
    print(f"{'supply x demand':>17} | {'generate s':>10} | {'orjson s':>8} | {'MB':>6}")
    print(f"{'-' * 17}-+-{'-' * 10}-+-{'-' * 8}-+-{'-' * 6}")
    for n in (int(x) for x in args.sizes.split(",")):
        t0 = time.perf_counter()
        inst = generate_instance(n, n, args.depots, seed=args.seed, regime=args.regime)
        t1 = time.perf_counter()
        blob = orjson.dumps(inst)
        t2 = time.perf_counter()
        print(f"{f'{n} x {n}':>17} | {t1 - t0:10.3f} | {t2 - t1:8.3f} | {len(blob) / 1e6:6.1f}")


if __name__ == "__main__":
    main()
