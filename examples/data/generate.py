#!/usr/bin/env python3
"""Generates the sample data for `augur try` (standard library only, deterministic).

service-metrics.csv: one week of 5-minute points for three series of a made-up shop, with a daily rhythm, noise,
and a few incidents worth finding:
  checkout/latency_ms          a latency spike (day 3) and a lasting level shift up (day 5)
  checkout/requests_per_second a traffic drop (day 4, an outage upstream)
  payments/error_rate          flat near zero with an error burst (day 6)
Run: python3 examples/data/generate.py  (rewrites the CSV next to this script)
"""
import math
import os
import random
from datetime import datetime, timedelta, timezone

START = datetime(2026, 11, 2, tzinfo=timezone.utc)
STEP = timedelta(minutes=5)
POINTS = 7 * 288


def daily(i, low, high):
    """A smooth day curve: low at 04:00, high mid-afternoon."""
    phase = (i % 288) / 288.0
    return low + (high - low) * 0.5 * (1 - math.cos(2 * math.pi * (phase - 4 / 24)))


def main():
    rng = random.Random(20261125)
    rows = []
    for i in range(POINTS):
        ts = (START + i * STEP).strftime("%Y-%m-%d %H:%M:%S")
        day = i / 288.0

        rps = daily(i, 40, 220) * (1 + rng.gauss(0, 0.04))
        if 3.55 <= day < 3.62:  # upstream outage: traffic falls to a fraction
            rps *= 0.25
        latency = 80 + 0.15 * rps + rng.gauss(0, 4)
        if 2.48 <= day < 2.50:  # a short latency spike
            latency += 260
        if day >= 5.3:  # a slow dependency: latency shifts up and stays
            latency += 45
        errors = max(0.0, 0.002 + rng.gauss(0, 0.0008))
        if 6.2 <= day < 6.24:
            errors += 0.05 + rng.gauss(0, 0.005)

        rows.append((ts, round(latency, 2), "checkout/latency_ms"))
        rows.append((ts, round(rps, 2), "checkout/requests_per_second"))
        rows.append((ts, round(errors, 5), "payments/error_rate"))

    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "service-metrics.csv")
    with open(path, "w") as out:
        out.write("timestamp,value,series\n")
        for ts, value, series in rows:
            out.write(f"{ts},{value},{series}\n")
    print(f"wrote {len(rows)} rows to {path}")


if __name__ == "__main__":
    main()
