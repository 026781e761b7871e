#!/usr/bin/env python3
"""Generates examples/simulate/daily-load.csv for `augur simulate` (standard library only, deterministic).

A week of 15-minute request rates of a made-up service with a sharp morning rush: 100 requests/s at night, a jump
to 1000 within half an hour at 09:00 (the moment an HPA alone falls behind: new pods take two minutes), a two-hour
decline from 18:00, and +-5% noise. Each value is the mean over the 15 minutes that start at its timestamp.
Run: python3 examples/simulate/generate.py  (rewrites the CSV next to this script)
"""
import os
import random
from datetime import datetime, timedelta, timezone

START = datetime(2026, 11, 2, tzinfo=timezone.utc)
STEP_MINUTES = 15
DAYS = 7


def level(minute):
    if minute < 9 * 60:
        return 100.0
    if minute < 9 * 60 + 30:
        return 100.0 * 10 ** ((minute - 9 * 60 + STEP_MINUTES) / 30)
    if minute < 18 * 60:
        return 1000.0
    if minute < 20 * 60:
        return 1000.0 - 900.0 * (minute - 18 * 60 + STEP_MINUTES) / 120
    return 100.0


def main():
    rng = random.Random(7)
    rows = ["timestamp,value"]
    for step in range(DAYS * 24 * 60 // STEP_MINUTES):
        minute = step * STEP_MINUTES % (24 * 60)
        value = level(minute) * (1 + rng.uniform(-0.05, 0.05))
        time = START + timedelta(minutes=step * STEP_MINUTES)
        rows.append("%s,%.1f" % (time.strftime("%Y-%m-%dT%H:%M:%SZ"), value))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "daily-load.csv")
    with open(path, "w") as out:
        out.write("\n".join(rows) + "\n")


if __name__ == "__main__":
    main()
