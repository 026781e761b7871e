#!/usr/bin/env python3
"""Generates the sample data for `augur try` (standard library only, deterministic).

service-metrics.csv: one week of 5-minute points for three series of a made-up shop, with a daily rhythm, noise,
and a few incidents worth finding:
  checkout/latency_ms          a latency spike (day 3) and a lasting level shift up (day 5)
  checkout/requests_per_second a traffic drop (day 4, an outage upstream)
  payments/error_rate          flat near zero with an error burst (day 6)
app.log: a day of a made-up shop service's log lines (timestamps, levels, threads, request ids, users, latencies),
with a burst of payment errors in the afternoon, for `augur try examples/log-clusterer.yaml --input
examples/data/app.log`.
Run: python3 examples/data/generate.py  (rewrites both files next to this script)
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


def write_log(rng):
    users = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
    items = ["sku-1042", "sku-2210", "sku-3141", "sku-0007", "sku-9001"]
    lines = []
    for i in range(3000):
        ts = (START + timedelta(seconds=i * 28.8)).strftime("%Y-%m-%d %H:%M:%S,") + "%03d" % rng.randrange(1000)
        thread = "http-nio-8080-exec-%d" % rng.randrange(1, 20)
        request = "%08x" % rng.getrandbits(32)
        user = rng.choice(users)
        burst = 1700 <= i < 1800
        roll = rng.random()
        if burst and roll < 0.6:
            level, message = "ERROR", "Payment authorisation failed for order %d: gateway timeout after %dms" % (
                rng.randrange(10000, 99999), rng.randrange(3000, 9000))
        elif roll < 0.30:
            level, message = "INFO", "GET /api/cart/%d 200 %dms request=%s" % (rng.randrange(1000, 9999), rng.randrange(3, 90), request)
        elif roll < 0.50:
            level, message = "INFO", "User %s added %s to cart (qty %d)" % (user, rng.choice(items), rng.randrange(1, 5))
        elif roll < 0.65:
            level, message = "INFO", "User %s logged in from 10.%d.%d.%d" % (user, rng.randrange(256), rng.randrange(256), rng.randrange(256))
        elif roll < 0.78:
            level, message = "INFO", "Order %d placed by %s total %.2f EUR" % (rng.randrange(10000, 99999), user, rng.uniform(5, 400))
        elif roll < 0.88:
            level, message = "DEBUG", "Cache hit ratio %.2f over %d entries" % (rng.random(), rng.randrange(100, 5000))
        elif roll < 0.95:
            level, message = "WARN", "Slow query on table orders took %dms" % rng.randrange(500, 2000)
        else:
            level, message = "INFO", "User %s logged out" % user
        lines.append("%s %s [%s] com.shop.Checkout: %s" % (ts, level, thread, message))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "app.log")
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    print(f"wrote {len(lines)} lines to {path}")


if __name__ == "__main__":
    main()
    write_log(random.Random(20261126))
