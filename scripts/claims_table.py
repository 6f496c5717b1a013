#!/usr/bin/env python3
"""README's claims table from two `sih reproduce` outputs: the full size and the quick size.

Usage: scripts/claims_table.py FULL/claims.csv QUICK/claims.csv > table.md
Each claim is one row: experiment, the claim, its source (the paper's quoted words with the
text they are from, or "inference (ours)"), the test, and per size the verdict with the
measured value (a single point) or the points that hold and their values (several points).
"""
import csv
import re
import sys
from collections import OrderedDict


def load(path):
    claims = OrderedDict()
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            key = (r["experiment"], r["claim"])
            c = claims.setdefault(key, {"row": r, "points": []})
            c["points"].append(r)
    return claims


def number(text):
    try:
        return f"{float(text):.4g}"
    except ValueError:
        return text or "n/a"


def verdict(c):
    if c is None:
        return "not run"
    pts = c["points"]
    holds = c["row"]["claim_holds"] == "true"
    word = "holds" if holds else "**does not hold**"
    if len(pts) == 1:
        return f"{word} ({number(pts[0]['measured'])})"
    good = sum(p["point_holds"] == "true" for p in pts)
    values = ", ".join(number(p["measured"]) for p in pts[:6])
    more = ", ..." if len(pts) > 6 else ""
    return f"{word} ({good}/{len(pts)} points: {values}{more})"


def source(text):
    m = re.match(r'paper: "(.*)" \((.*)\)$', text)
    if m:
        return f"paper, {m.group(2)}: “{m.group(1)}”"
    return "inference (ours)"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: claims_table.py FULL/claims.csv QUICK/claims.csv")
    full, quick = load(sys.argv[1]), load(sys.argv[2])
    print("| experiment | claim | source | test | full size | quick size |")
    print("|---|---|---|---|---|---|")
    for key in list(full) + [k for k in quick if k not in full]:
        r = (full.get(key) or quick[key])["row"]
        test = f"`{r['value']}` {r['holds_if']}"
        print(f"| `{r['experiment']}` | {r['says']} | {source(r['source'])} | {test} | "
              f"{verdict(full.get(key))} | {verdict(quick.get(key))} |")


if __name__ == "__main__":
    main()
