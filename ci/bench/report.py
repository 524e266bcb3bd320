#!/usr/bin/env python3
"""Turn ci/bench.sh's raw measurements into the printed table and results.json.

Inputs: hyperfine's --export-json, a TSV of peak RSS (name, KiB from GNU time's %M), the image
facts written at build time, and the rows that were skipped with their reason.
"""

import argparse
import datetime
import json
import os
import platform

# Targets for imgaudit (see the project's performance goals).
MAX_VS_TRIVY = 0.35         # imgaudit wall time / Trivy wall time
MAX_VS_INFLATE_WALK = 1.3   # imgaudit wall time / plain inflate-and-walk wall time
MAX_RSS_MB = 150.0          # imgaudit peak RSS

ORDER = ["imgaudit", "gzip -dc", "inflate_walk", "trivy", "cst"]
INPUTS = {
    "imgaudit": "gzip OCI layout",
    "gzip -dc": "gzip OCI layout (layer blobs)",
    "inflate_walk": "gzip OCI layout (layer blobs)",
    "trivy": "gzip OCI layout (--input DIR)",
    "cst": "docker-archive tar",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hyperfine", required=True)
    ap.add_argument("--rss", required=True)
    ap.add_argument("--image-info", required=True)
    ap.add_argument("--skipped", default="{}")
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--trivy-version", default="")
    ap.add_argument("--cst-version", default="")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    with open(a.hyperfine) as f:
        timings = {r["command"]: r for r in json.load(f)["results"]}
    rss_mb = {}
    with open(a.rss) as f:
        for line in f:
            name, kib = line.rstrip("\n").split("\t")
            rss_mb[name] = int(kib) / 1024.0
    with open(a.image_info) as f:
        image = json.load(f)
    skipped = json.loads(a.skipped)

    base = timings.get("imgaudit", {}).get("median")
    tools = {}
    for name in ORDER + sorted(set(timings) - set(ORDER)):
        if name in timings:
            t = timings[name]
            tools[name] = {
                "input": INPUTS.get(name, ""),
                "median_s": t["median"],
                "mean_s": t["mean"],
                "stddev_s": t.get("stddev"),
                "min_s": t["min"],
                "max_s": t["max"],
                "times_s": t["times"],
                "ratio_to_imgaudit": t["median"] / base if base else None,
                "peak_rss_mb": rss_mb.get(name),
            }
        elif name in skipped:
            tools[name] = {"input": INPUTS.get(name, ""), "skipped": skipped[name]}

    def ratio(num, den):
        if num in timings and den in timings:
            return timings[num]["median"] / timings[den]["median"]
        return None

    targets = {
        "imgaudit_vs_trivy": {"value": ratio("imgaudit", "trivy"), "max": MAX_VS_TRIVY},
        "imgaudit_vs_inflate_walk": {
            "value": ratio("imgaudit", "inflate_walk"), "max": MAX_VS_INFLATE_WALK},
        "imgaudit_peak_rss_mb": {"value": rss_mb.get("imgaudit"), "max": MAX_RSS_MB,
                                 "strict": True},
    }
    for t in targets.values():
        v = t["value"]
        t["pass"] = None if v is None else (v < t["max"] if t.get("strict") else v <= t["max"])

    # --- the table ---
    mb = 1e6
    print()
    print(f"image: {image['layers']} layers, {image['compressed_bytes'] / mb:.0f} MB gzip, "
          f"{image['uncompressed_bytes'] / mb:.0f} MB uncompressed; "
          f"docker-archive {image['docker_archive_bytes'] / mb:.0f} MB")
    print(f"medians of {a.runs} runs (after 1 warm-up), page cache warm, "
          f"{os.cpu_count()} CPUs")
    print()
    print(f"{'tool':<14} {'median s':>9} {'vs imgaudit':>12} {'peak RSS MB':>12}  input")
    print(f"{'-' * 14} {'-' * 9} {'-' * 12} {'-' * 12}  {'-' * 30}")
    for name, r in tools.items():
        if "skipped" in r:
            print(f"{name:<14} {'-':>9} {'-':>12} {'-':>12}  {name}: {r['skipped']}")
            continue
        rel = f"{r['ratio_to_imgaudit']:.2f}x" if r["ratio_to_imgaudit"] else "n/a"
        rss = f"{r['peak_rss_mb']:.1f}" if r["peak_rss_mb"] is not None else "?"
        print(f"{name:<14} {r['median_s']:>9.3f} {rel:>12} {rss:>12}  {r['input']}")
    print()
    labels = {
        "imgaudit_vs_trivy": "imgaudit / trivy",
        "imgaudit_vs_inflate_walk": "imgaudit / inflate_walk",
        "imgaudit_peak_rss_mb": "imgaudit peak RSS MB",
    }
    for key, t in targets.items():
        op = "<" if t.get("strict") else "<="
        if t["value"] is None:
            verdict, value = "n/a (a row is missing)", "-"
        else:
            verdict, value = ("PASS" if t["pass"] else "FAIL"), f"{t['value']:.3f}"
        print(f"{labels[key]:<24} {value:>9}   target {op} {t['max']}   {verdict}")

    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": {"cpus": os.cpu_count(), "kernel": platform.release()},
        "runs": a.runs,
        "image": image,
        "versions": {"trivy": a.trivy_version, "container-structure-test": a.cst_version},
        "tools": tools,
        "targets": targets,
    }
    with open(a.out, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    print(f"\nresults: {a.out}")


if __name__ == "__main__":
    main()
