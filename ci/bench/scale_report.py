#!/usr/bin/env python3
"""The synthetic scale rows of ci/bench.sh: cost per entry across sizes, against `tar -t`.

Runs after report.py: reads the results.json it wrote (the rows' medians and peak RSS) and each
image's scale-info.json (entries, bytes of names), adds a `scale` section to results.json and
prints one line per image. Cost is linear when microseconds per entry stay flat across the sizes
of a kind; for the deep images, whose names grow with the depth, when the cost per kilobyte of
names does (tar -t pays the same), so the ratio to tar -t is the measure there.
"""

import argparse
import json
import os

INPUTS = {
    "scan": "scale image, scan (facts, all policies), --no-cache",
    "inspect": "scale image, inspect (read and merge), --no-cache",
    "tar": "scale image's layer blob, tar -tzf",
    "cold": "scale image, scan, empty cache dir",
    "warm": "scale image, scan, cache warmed by it",
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True, help="results.json from report.py (updated)")
    ap.add_argument("--scale-dir", required=True, help="where scale_images.py wrote the images")
    ap.add_argument("--cached", required=True, help="the image of the cold and warm pair")
    ap.add_argument("images", nargs="+")
    a = ap.parse_args()

    with open(a.results) as f:
        results = json.load(f)
    tools = results["tools"]

    def row(name):
        r = tools.get(name)
        return r if r is not None and "median_s" in r else None

    scale = {}
    for image in a.images:
        rows = {kind: f"{kind}-{image}" for kind in ("scan", "inspect", "tar")}
        rows["cold"] = f"scan-{image}-cold"
        rows["warm"] = f"scan-{image}-warm"
        if not any(row(name) for name in rows.values()):
            continue
        for kind, name in rows.items():
            if name in tools:
                tools[name]["input"] = INPUTS[kind]
        try:
            with open(os.path.join(a.scale_dir, image, "scale-info.json")) as f:
                info = json.load(f)
        except (OSError, ValueError):
            continue
        entries = info["entries"]
        entry = {"entries": entries, "name_bytes": info["name_bytes"],
                 "uncompressed_bytes": info["uncompressed_bytes"],
                 "compressed_bytes": info["compressed_bytes"]}
        for kind, name in rows.items():
            r = row(name)
            if r is None:
                continue
            entry[f"{kind}_s"] = r["median_s"]
            entry[f"{kind}_rss_mb"] = r["peak_rss_mb"]
            entry[f"{kind}_us_per_entry"] = r["median_s"] / entries * 1e6
            entry[f"{kind}_ns_per_name_byte"] = r["median_s"] / info["name_bytes"] * 1e9
        tar = entry.get("tar_s")
        for kind in ("scan", "inspect"):
            if f"{kind}_s" in entry and tar:
                entry[f"{kind}_vs_tar"] = entry[f"{kind}_s"] / tar
        scale[image] = entry
    if not scale:
        return
    results["scale"] = scale
    with open(a.results, "w") as f:
        json.dump(results, f, indent=2)
        f.write("\n")

    def cell(value, fmt, width):
        return f"{value:{width}{fmt}}" if value is not None else f"{'-':>{width}}"

    print()
    print("synthetic scale images (one gzip layer each): seconds, per entry and against tar -tzf "
          "of the same blob")
    print(f"  {'image':<11} {'entries':>9} {'names MB':>9} {'scan s':>8} {'inspect s':>9} "
          f"{'tar -t s':>8} {'scan/tar':>8} {'insp/tar':>8} {'scan us/e':>9} {'insp us/e':>9} "
          f"{'tar us/e':>8} {'scan MB':>8} {'insp MB':>8}")
    for image, e in scale.items():
        print(f"  {image:<11} {e['entries']:>9} {e['name_bytes'] / 1e6:>9.1f} "
              f"{cell(e.get('scan_s'), '.3f', 8)} {cell(e.get('inspect_s'), '.3f', 9)} "
              f"{cell(e.get('tar_s'), '.3f', 8)} {cell(e.get('scan_vs_tar'), '.2f', 8)} "
              f"{cell(e.get('inspect_vs_tar'), '.2f', 8)} "
              f"{cell(e.get('scan_us_per_entry'), '.2f', 9)} "
              f"{cell(e.get('inspect_us_per_entry'), '.2f', 9)} "
              f"{cell(e.get('tar_us_per_entry'), '.2f', 8)} {cell(e.get('scan_rss_mb'), '.1f', 8)} "
              f"{cell(e.get('inspect_rss_mb'), '.1f', 8)}")

    # Flatness: the largest size's cost per unit over the smallest's, for each kind.
    by_kind = {}
    for image in scale:
        by_kind.setdefault(image.split("-", 1)[0], []).append(image)
    for kind, images in by_kind.items():
        first, last = scale[images[0]], scale[images[-1]]
        unit = "name_byte" if kind == "deep" else "entry"
        parts = []
        for what in ("scan", "inspect", "tar"):
            key = f"{what}_ns_per_name_byte" if unit == "name_byte" else f"{what}_us_per_entry"
            if key in first and key in last and len(images) > 1:
                parts.append(f"{what} {last[key] / first[key]:.2f}")
        if parts:
            print(f"  {kind}: cost per {unit.replace('_', ' ')}, {images[-1]} / {images[0]}: "
                  f"{', '.join(parts)} (1.00 is linear)")

    cached = scale.get(a.cached, {})
    if "cold_s" in cached:
        warm = cached.get("warm_s")
        share = f", warm {warm:.3f} s = {warm / cached['cold_s']:.3f} of cold" if warm else ""
        print(f"  {a.cached} with a layer cache: cold {cached['cold_s']:.3f} s "
              f"({cached['cold_rss_mb']:.1f} MB){share}")


if __name__ == "__main__":
    main()
