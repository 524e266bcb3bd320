#!/usr/bin/env python3
"""The layer cache and batch rows of ci/bench.sh: their ratios against the issue's targets.

Runs after report.py: reads the results.json it wrote (the rows' medians and peak RSS), adds the
cache targets and what the batch runs said about their layers, writes it back, and prints the
side-by-side table.
"""

import argparse
import json

# The issues' targets, all against cache-cold (the largest image, cold: an empty cache dir).
MAX_WARM_VS_COLD = 0.02         # re-audit of the same image, warm cache (issue 17)...
MAX_WARM_S = 0.050              # ... or under 50 ms, whichever is met
MAX_TOP_CHANGED_VS_COLD = 0.10  # the image rebuilt with its top layer changed, cache warm
MAX_BATCH_VS_COLD = 1.5         # ten images sharing the base, one batch, empty cache

ROWS = ["cache-cold", "cache-warm", "cache-top-changed", "batch-10", "separate-10"]
INPUTS = {
    "cache-cold": "scan bench, empty cache dir",
    "cache-warm": "scan bench, cache warmed by bench",
    "cache-top-changed": "scan bench-top, cache warmed by bench",
    "batch-10": "scan bench + fleet-1..9 in one batch, empty cache dir",
    "separate-10": "the same ten, one scan each, --no-cache",
}


def lines(path):
    try:
        with open(path) as f:
            return [line.rstrip("\n") for line in f if line.strip()]
    except FileNotFoundError:
        return []


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True, help="results.json from report.py (updated)")
    ap.add_argument("--batch-summary", required=True, help="batch-10's summary lines, a run each")
    ap.add_argument("--probe", required=True, help="the warm cache probe's lines")
    ap.add_argument("--budget", required=True, help="batch-10's --memory-budget, as given")
    ap.add_argument("--budget-mib", type=float, required=True)
    ap.add_argument("--images", type=int, required=True)
    a = ap.parse_args()

    with open(a.results) as f:
        results = json.load(f)
    tools = results["tools"]
    if not any(name in tools for name in ROWS):
        return
    for name in ROWS:
        if name in tools:
            tools[name]["input"] = INPUTS[name]

    def median(name):
        return tools.get(name, {}).get("median_s")

    def ratio(num, den):
        n, d = median(num), median(den)
        return n / d if n is not None and d else None

    rss = tools.get("batch-10", {}).get("peak_rss_mb")
    targets = {
        "cache_warm_vs_cold": {"value": ratio("cache-warm", "cache-cold"),
                               "max": MAX_WARM_VS_COLD},
        "cache_top_changed_vs_cold": {"value": ratio("cache-top-changed", "cache-cold"),
                                      "max": MAX_TOP_CHANGED_VS_COLD},
        "batch_10_vs_cache_cold": {"value": ratio("batch-10", "cache-cold"),
                                   "max": MAX_BATCH_VS_COLD},
        "batch_10_vs_separate_10": {"value": ratio("batch-10", "separate-10"), "max": None,
                                    "info": True},
        "batch_10_peak_rss_mb": {"value": rss, "max": a.budget_mib,
                                 "memory_budget": a.budget},
    }
    for t in targets.values():
        v = t["value"]
        t["pass"] = None if t.get("info") or v is None else v <= t["max"]
    warm = targets["cache_warm_vs_cold"]
    warm["max_s"] = MAX_WARM_S
    if warm["pass"] is False and median("cache-warm") is not None:
        warm["pass"] = median("cache-warm") < MAX_WARM_S
    results["targets"].update(targets)
    summaries = lines(a.batch_summary)
    results["cache"] = {
        "batch_images": a.images,
        "memory_budget": a.budget,
        "memory_budget_mib": a.budget_mib,
        # imgaudit's own last line for each batch-10 run, the smoke run's first: layers read,
        # shared in the run, taken from the cache.
        "batch_summaries": summaries,
        # One-image batches on copies of the warm cache: what bench and bench-top still read.
        "warm_cache_probe": lines(a.probe),
    }
    with open(a.results, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")

    print()
    print(f"layer cache and batch scans ({a.images} images: bench and fleet-1..{a.images - 1}, "
          f"each bench plus a small layer; bench-top: bench with its top layer rebuilt):")
    print(f"  {'':<17} {'median s':>9} {'min-max s':>15} {'/ cache-cold':>13} "
          f"{'peak RSS MB':>12}  input")
    cold = median("cache-cold")
    for name in ROWS:
        r = tools.get(name)
        if r is None or "skipped" in r:
            why = r["skipped"] if r else "not run"
            print(f"  {name:<17} {'-':>9} {'-':>15} {'-':>13} {'-':>12}  ({why})")
            continue
        rel = f"{r['median_s'] / cold:.3f}" if cold else "n/a"
        rng = f"{r['min_s']:.2f}-{r['max_s']:.2f}"
        print(f"  {name:<17} {r['median_s']:>9.3f} {rng:>15} {rel:>13} "
              f"{r['peak_rss_mb']:>12.1f}  {INPUTS[name]}")
    for line in lines(a.probe):
        print(f"  {line}")
    if summaries:
        print(f"  batch-10, last run: {summaries[-1]}")
    print()
    labels = {
        "cache_warm_vs_cold": "cache-warm / cache-cold",
        "cache_top_changed_vs_cold": "cache-top-changed / cache-cold",
        "batch_10_vs_cache_cold": "batch-10 / cache-cold",
        "batch_10_vs_separate_10": "batch-10 / separate-10",
        "batch_10_peak_rss_mb": "batch-10 peak RSS MB",
    }
    for key, t in targets.items():
        value = "-" if t["value"] is None else f"{t['value']:.3f}"
        if t.get("info"):
            print(f"{labels[key]:<36} {value:>9}   (for comparison, no target)")
            continue
        limit = f"<= {t['max']:g}"
        if key == "cache_warm_vs_cold":
            limit += f" or cache-warm < {MAX_WARM_S * 1000:g} ms"
        if key == "batch_10_peak_rss_mb":
            limit += f" (--memory-budget {a.budget})"
        verdict = "n/a (a row is missing)" if t["pass"] is None else \
            ("met" if t["pass"] else "NOT met")
        print(f"{labels[key]:<36} {value:>9}   target {limit:<30} {verdict}")
    print(f"\nresults (with the cache rows): {a.results}")


if __name__ == "__main__":
    main()
