#!/usr/bin/env python3
"""Turn ci/bench.sh's raw measurements into the printed table and results.json.

Inputs: the raw runs (TSV: tool, round, wall seconds, peak RSS in KiB from GNU time's %M), the
rows that were not measured (TSV: tool, reason) and the image facts written at build time.
"""

import argparse
import datetime
import json
import os
import platform
import statistics

# Targets for imgaudit (see the project's performance goals).
MAX_VS_TRIVY = 0.35         # imgaudit wall time / Trivy wall time
MAX_VS_INFLATE_WALK = 1.3   # imgaudit wall time / plain inflate-and-walk wall time
MAX_RSS_MB = 150.0          # imgaudit peak RSS
# Pulling from the local registry: imgaudit streaming the image / skopeo copying it to an OCI
# layout (issue 5: faster than the copy alone).
MAX_REGISTRY_VS_COPY = 1.0

REGISTRY_ROWS = ["imgaudit-registry", "skopeo-copy", "skopeo+imgaudit"]
# Issue 15: the whole scan with every pack at most 10% slower than the previous release's.
MAX_SCAN_VS_PREVIOUS = 1.10

ORDER = ["imgaudit", "imgaudit-scan", "imgaudit-scan-python", "imgaudit-scan-prev",
         "imgaudit-nodiff", "imgaudit-miniz", "gzip -dc", "inflate_walk", "trivy",
         "trivy-secret", "cst"] + REGISTRY_ROWS
INPUTS = {
    "imgaudit": "gzip OCI layout",
    "imgaudit-scan": "gzip OCI layout, scan (facts, all policies)",
    "imgaudit-scan-python": "gzip OCI layout, scan, Python rules only",
    "imgaudit-scan-prev": "gzip OCI layout, scan by the previous release",
    "imgaudit-nodiff": "gzip OCI layout, --skip-diff-id-check",
    "imgaudit-miniz": "gzip OCI layout, miniz_oxide inflate",
    "gzip -dc": "gzip OCI layout (layer blobs)",
    "inflate_walk": "gzip OCI layout (layer blobs)",
    "trivy": "gzip OCI layout (--input DIR)",
    "trivy-secret": "gzip OCI layout, secret scanner + image-config checks",
    "cst": "docker-archive tar",
    "imgaudit-registry": "local registry (HTTP, loopback), streamed",
    "skopeo-copy": "local registry -> empty OCI layout",
    "skopeo+imgaudit": "local registry -> OCI layout, then imgaudit",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs-tsv", required=True)
    ap.add_argument("--skipped", required=True)
    ap.add_argument("--image-info", required=True)
    ap.add_argument("--runs", type=int, required=True)
    ap.add_argument("--loadavg", default="")
    ap.add_argument("--trivy-version", default="")
    ap.add_argument("--cst-version", default="")
    ap.add_argument("--skopeo-version", default="")
    ap.add_argument("--registry-version", default="")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    times, rss_kib = {}, {}
    with open(a.runs_tsv) as f:
        for line in f:
            name, _round, secs, kib = line.rstrip("\n").split("\t")
            times.setdefault(name, []).append(float(secs))
            rss_kib.setdefault(name, []).append(int(kib))
    skipped = {}
    with open(a.skipped) as f:
        for line in f:
            name, reason = line.rstrip("\n").split("\t", 1)
            skipped[name] = reason
    # A tool that failed part-way has timings but is still reported as failed.
    timings = {n: {"median": statistics.median(t), "times": t}
               for n, t in times.items() if n not in skipped}
    rss_mb = {n: max(k) / 1024.0 for n, k in rss_kib.items() if n in timings}
    with open(a.image_info) as f:
        image = json.load(f)

    base = timings.get("imgaudit", {}).get("median")
    tools = {}
    for name in ORDER + sorted((set(timings) | set(skipped)) - set(ORDER)):
        if name in timings:
            t = timings[name]["times"]
            med = timings[name]["median"]
            tools[name] = {
                "input": INPUTS.get(name, ""),
                "median_s": med,
                "mean_s": statistics.mean(t),
                "stddev_s": statistics.stdev(t) if len(t) > 1 else None,
                "min_s": min(t),
                "max_s": max(t),
                "times_s": t,
                "ratio_to_imgaudit": med / base if base else None,
                "peak_rss_mb": rss_mb.get(name),
                "peak_rss_mb_runs": [k / 1024.0 for k in rss_kib[name]],
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
        "imgaudit_registry_vs_skopeo_copy": {
            "value": ratio("imgaudit-registry", "skopeo-copy"), "max": MAX_REGISTRY_VS_COPY,
            "strict": True},
    }
    targets["scan_vs_previous_release"] = {
        "value": ratio("imgaudit-scan", "imgaudit-scan-prev"), "max": MAX_SCAN_VS_PREVIOUS}
    targets["imgaudit_scan_peak_rss_mb"] = {"value": rss_mb.get("imgaudit-scan"),
                                            "max": MAX_RSS_MB, "strict": True}
    # The variants, for comparison: not targets of their own.
    for num, den in (("imgaudit-scan", "imgaudit-scan-python"), ("imgaudit-scan", "trivy-secret")):
        value = ratio(num, den)
        if value is not None:
            targets[f"{num}_vs_{den}"] = {"value": value, "max": None, "info": True}
    for variant in ("imgaudit-nodiff", "imgaudit-miniz"):
        for baseline in ("trivy", "inflate_walk"):
            value = ratio(variant, baseline)
            if value is not None:
                targets[f"{variant}_vs_{baseline}"] = {"value": value, "max": None,
                                                       "info": True}
    value = ratio("imgaudit-registry", "skopeo+imgaudit")
    if value is not None:
        targets["imgaudit_registry_vs_skopeo_imgaudit"] = {"value": value, "max": None,
                                                           "info": True}
    for t in targets.values():
        if t.get("info"):
            t["pass"] = None
            continue
        v = t["value"]
        t["pass"] = None if v is None else (v < t["max"] if t.get("strict") else v <= t["max"])

    # --- the table ---
    mb = 1e6
    print()
    print(f"image: {image['layers']} layers, {image['compressed_bytes'] / mb:.0f} MB gzip, "
          f"{image['uncompressed_bytes'] / mb:.0f} MB uncompressed; "
          f"docker-archive {image['docker_archive_bytes'] / mb:.0f} MB")
    print(f"medians of {a.runs} interleaved rounds, page cache warm (an untimed smoke run comes "
          f"first); {os.cpu_count()} CPUs, load average before timing {a.loadavg or '?'}")
    print()
    print(f"{'tool':<17} {'median s':>9} {'min-max s':>15} {'vs imgaudit':>12} "
          f"{'peak RSS MB':>12}  input")
    print(f"{'-' * 17} {'-' * 9} {'-' * 15} {'-' * 12} {'-' * 12}  {'-' * 30}")
    for name, r in tools.items():
        if "skipped" in r:
            print(f"{name:<17} {'-':>9} {'-':>15} {'-':>12} {'-':>12}  {name}: {r['skipped']}")
            continue
        rel = f"{r['ratio_to_imgaudit']:.2f}x" if r["ratio_to_imgaudit"] else "n/a"
        rng = f"{r['min_s']:.2f}-{r['max_s']:.2f}"
        print(f"{name:<17} {r['median_s']:>9.3f} {rng:>15} {rel:>12} "
              f"{r['peak_rss_mb']:>12.1f}  {r['input']}")
    print()

    # Pulling from the local registry, side by side.
    if any(name in tools for name in REGISTRY_ROWS):
        print(f"pulling the image from the local registry ({image['compressed_bytes'] / mb:.0f} MB "
              f"of gzip layers over plain HTTP on loopback):")
        print(f"  {'':<17} {'median s':>9} {'peak RSS MB':>12} {'imgaudit-registry / row':>24}")
        reg = timings.get("imgaudit-registry", {}).get("median")
        for name in REGISTRY_ROWS:
            r = tools.get(name)
            if r is None or "skipped" in r:
                why = r["skipped"] if r else "not run"
                print(f"  {name:<17} {'-':>9} {'-':>12} {'-':>24}  ({why})")
                continue
            rel = f"{reg / r['median_s']:.3f}" if reg else "n/a"
            print(f"  {name:<17} {r['median_s']:>9.3f} {r['peak_rss_mb']:>12.1f} {rel:>24}")
        print()

    labels = {
        "imgaudit_vs_trivy": "imgaudit / trivy",
        "imgaudit_vs_inflate_walk": "imgaudit / inflate_walk",
        "imgaudit_peak_rss_mb": "imgaudit peak RSS MB",
        "scan_vs_previous_release": "imgaudit-scan / imgaudit-scan-prev",
        "imgaudit_scan_peak_rss_mb": "imgaudit-scan peak RSS MB",
        "imgaudit_registry_vs_skopeo_copy": "imgaudit-registry / skopeo-copy",
        "imgaudit_registry_vs_skopeo_imgaudit": "imgaudit-registry / skopeo+imgaudit",
    }
    for key, t in targets.items():
        label = labels.get(key, key.replace("_vs_", " / "))
        if t.get("info"):
            print(f"{label:<36} {t['value']:>9.3f}   (for comparison)")
            continue
        op = "<" if t.get("strict") else "<="
        if t["value"] is None:
            verdict, value = "n/a (a row is missing)", "-"
        else:
            verdict, value = ("PASS" if t["pass"] else "FAIL"), f"{t['value']:.3f}"
        print(f"{label:<36} {value:>9}   target {op} {t['max']}   {verdict}")
    t = targets["imgaudit_registry_vs_skopeo_copy"]
    if t["value"] is not None:
        print(f"registry target (imgaudit-registry faster than skopeo-copy alone): "
              f"{'met' if t['pass'] else 'NOT met'}")

    results = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": {"cpus": os.cpu_count(), "kernel": platform.release(),
                 "loadavg_before": a.loadavg},
        "runs": a.runs,
        "image": image,
        "versions": {"trivy": a.trivy_version, "container-structure-test": a.cst_version,
                     "skopeo": a.skopeo_version, "docker-registry": a.registry_version},
        "tools": tools,
        "targets": targets,
    }
    with open(a.out, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")
    print(f"\nresults: {a.out}")


if __name__ == "__main__":
    main()
