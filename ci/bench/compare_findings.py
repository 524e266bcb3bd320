#!/usr/bin/env python3
"""Print what imgaudit and Trivy report on one image, side by side, by place.

Inputs: imgaudit's JSON report (`imgaudit scan --format json`) and Trivy's
(`trivy image --format json --scanners secret --image-config-scanners misconfig,secret`).
A place is a file path, an Env variable (`Env NAME`), a build argument (`ARG NAME`), another
history step (`history: ...`) or the image as a whole (`image`). Trivy masks what it matched
(`****`) and imgaudit never prints a secret, so nothing printed here shows one.
"""

import argparse
import json
import re
from collections import defaultdict

# Trivy's DS-0031 message: Possible exposure of secret env "NAME" in ENV (or ARG).
DS0031 = re.compile(r'secret env "([^"]+)" in (ENV|ARG)')
# A build argument recorded in a history step: `|1 NAME=**** /bin/sh -c ...`.
BUILD_ARG = re.compile(r'\|\d+ ([A-Za-z_][A-Za-z0-9_]*)=')
# An Env entry of the config: `"NAME=****"`, or an ENV history step.
ENV_ENTRY = re.compile(r'(?:^\s*"|ENV )([A-Za-z_][A-Za-z0-9_]*)=')


def imgaudit_places(report):
    places = defaultdict(list)
    for f in report.get("findings", []):
        subject = f.get("subject", {})
        evidence = f.get("evidence", {})
        created_by = f.get("in_image", {}).get("created_by", "") or ""
        if subject.get("path"):
            place = subject["path"]
        elif subject.get("variable") and evidence.get("source") == "env":
            place = f"Env {subject['variable']}"
        elif subject.get("variable") and BUILD_ARG.match(created_by):
            place = f"ARG {subject['variable']}"
        elif BUILD_ARG.match(created_by):
            place = f"ARG {BUILD_ARG.match(created_by).group(1)}"
        elif created_by:
            place = f"history: {created_by[:70]}"
        else:
            place = "image"
        places[place].append(f"{f['rule_id']} ({f.get('severity', '?')})")
    return places


def trivy_places(report):
    places = defaultdict(list)
    # Secrets in the image config (Env, history) come as a result named after the image itself.
    image = report.get("ArtifactName")
    for result in report.get("Results", []) or []:
        target = result.get("Target", "")
        for s in result.get("Secrets", []) or []:
            label = f"{s['RuleID']} ({s.get('Severity', '?').lower()})"
            if target != image and target.startswith("/"):
                places[target].append(label)
                continue
            match = s.get("Match", "")
            arg = BUILD_ARG.search(match)
            env = ENV_ENTRY.search(match)
            if arg:
                places[f"ARG {arg.group(1)}"].append(label)
            elif env:
                places[f"Env {env.group(1)}"].append(label)
            else:
                places[f"history: {match.strip()[:70]}"].append(label)
        for m in result.get("Misconfigurations", []) or []:
            label = f"{m['ID']} ({m.get('Severity', '?').lower()})"
            exposure = DS0031.search(m.get("Message", ""))
            if exposure:
                kind = "Env" if exposure.group(2) == "ENV" else "ARG"
                places[f"{kind} {exposure.group(1)}"].append(label)
            else:
                places["image"].append(f"{label} {m.get('Title', '')}")
    return places


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--imgaudit", required=True)
    ap.add_argument("--trivy", required=True)
    ap.add_argument("--imgaudit-seconds", default="")
    ap.add_argument("--trivy-seconds", default="")
    a = ap.parse_args()
    with open(a.imgaudit) as f:
        ours = imgaudit_places(json.load(f))
    with open(a.trivy) as f:
        theirs = trivy_places(json.load(f))

    print(f"\n{a.name}: imgaudit {sum(map(len, ours.values()))} findings"
          f"{' in ' + a.imgaudit_seconds + ' s' if a.imgaudit_seconds else ''}, "
          f"Trivy {sum(map(len, theirs.values()))}"
          f"{' in ' + a.trivy_seconds + ' s' if a.trivy_seconds else ''}")
    width = max([len(p) for p in list(ours) + list(theirs)] + [5])
    width = min(width, 60)
    print(f"  {'place':<{width}}  {'imgaudit':<34}  trivy")
    for place in sorted(set(ours) | set(theirs)):
        left = ", ".join(sorted(ours.get(place, []))) or "-"
        right = ", ".join(sorted(theirs.get(place, []))) or "-"
        print(f"  {place[:width]:<{width}}  {left:<34}  {right}")
    only_ours = sorted(set(ours) - set(theirs))
    only_theirs = sorted(set(theirs) - set(ours))
    print(f"  places only imgaudit reports: {len(only_ours)}; only Trivy: {len(only_theirs)}")


if __name__ == "__main__":
    main()
