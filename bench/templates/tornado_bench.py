"""Tornado's side of the template benchmark (bench/templates/run.js starts it).

Renders views/tornado/page.html (the same template files Cyclone renders) with the data
run.js wrote as JSON, and prints the renders per second of one timed run, after a warm-up,
then the renders per CPU-second of this process (steadier when other work shares the core).
With --html it prints the rendered page instead, so run.js can check that every engine
produces the same HTML before timing any of them.

    /usr/bin/python3 bench/templates/tornado_bench.py --data data.json [--seconds 1] [--warmup 0.5] [--html]
"""

import argparse
import json
import os
import sys
import time

from tornado.template import Loader

HERE = os.path.dirname(os.path.abspath(__file__))


def timed_renders(render, seconds):
    """Renders for about `seconds` seconds; returns (renders, elapsed, cpu seconds)."""
    batch = 20
    count = 0
    cpu_start = time.process_time()
    start = time.perf_counter()
    deadline = start + seconds
    now = start
    while now < deadline:
        for _ in range(batch):
            render()
        count += batch
        now = time.perf_counter()
    return count, now - start, time.process_time() - cpu_start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, help="the JSON file of the page's data")
    parser.add_argument("--templates", default=os.path.join(HERE, "views", "tornado"))
    parser.add_argument("--seconds", type=float, default=1.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--html", action="store_true", help="print the page instead of timing")
    args = parser.parse_args()

    with open(args.data, encoding="utf-8") as f:
        data = json.load(f)
    template = Loader(args.templates).load("page.html")

    def render():
        return template.generate(**data)

    if args.html:
        sys.stdout.write(render().decode("utf-8"))
        return
    timed_renders(render, args.warmup)
    count, elapsed, cpu = timed_renders(render, args.seconds)
    print(f"{count / elapsed:.1f} {count / cpu:.1f}")


if __name__ == "__main__":
    main()
