#!/usr/bin/env python3
"""Writes a deterministic protected-site list as CSV, for `deconflict sites import`.

    scripts/sites-csv.py 10000 > sites.csv                 # 10,000 good sites
    scripts/sites-csv.py 10000 --bad-percent 1 > bad.csv   # the same, 1% of the rows spoiled

Sites are point sites (lon, lat, radius_m) on a grid over 35-37E, 34-36N, of a category from a
fixed list, named after their row; no validity column (the server's default applies), so the
file is the same whatever the day. A spoiled row (every 100/PERCENT-th, from row 50) has one bad
field, in turn: lon not a number, an unknown disclosure, no name, a latitude beyond 90 degrees,
a negative radius, a validity that ended in 2020 — the first three refused by the parser (also
locally by the CLI), the others by the service's checks (by the server).
"""

import argparse
import sys

CATEGORIES = ["hospital", "clinic", "school", "camp", "warehouse", "water-point"]
SPOILERS = ["lon", "disclosure", "name", "lat", "radius_m", "valid_until"]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rows", type=int)
    p.add_argument("--bad-percent", type=float, default=0.0)
    a = p.parse_args()
    every = int(round(100 / a.bad_percent)) if a.bad_percent > 0 else 0
    out = sys.stdout
    out.write("name,category,lon,lat,radius_m,valid_until,disclosure\n")
    side = 100
    spoiled = 0
    for i in range(a.rows):
        cells = {
            "name": f"Site {i:05d}",
            "category": CATEGORIES[i % len(CATEGORIES)],
            "lon": f"{35.0 + (i % side) * 0.02:.4f}",
            "lat": f"{34.0 + (i // side % side) * 0.02:.4f}",
            "radius_m": str(100 + (i * 37) % 900),
            "valid_until": "",
            "disclosure": "full",
        }
        if every and i % every == every // 2:
            field = SPOILERS[spoiled % len(SPOILERS)]
            spoiled += 1
            cells[field] = {
                "lon": "east",
                "disclosure": "secret",
                "name": "",
                "lat": "91.5",
                "radius_m": "-50",
                "valid_until": "2020-01-01T00:00:00Z",
            }[field]
        out.write(",".join(cells[c] for c in
                           ["name", "category", "lon", "lat", "radius_m", "valid_until",
                            "disclosure"]) + "\n")


if __name__ == "__main__":
    main()
