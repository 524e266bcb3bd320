#!/usr/bin/env python3
"""Derive the cache and batch benchmark images from the benchmark image (ci/bench.sh).

Writes a new OCI layout holding, besides the benchmark image itself (tag `bench`):
  bench-top     the benchmark image with its top layer replaced: the same entries, one file
                (etc/imgaudit-bench) with other contents; what a rebuild that changes only the
                last step produces
  fleet-1..N    the benchmark image plus one small top layer of its own each (a few files of an
                "app"): N images sharing every layer of the benchmark image

The layers the images share are hard links to the source layout's blobs (a copy where links are
impossible), so the derived layout costs a few KB and shares the page cache with the source.
Everything is deterministic (fixed gzip and tar times), so the same source gives the same
digests. Configs keep rootfs.diff_ids and history consistent with the layers: imgaudit checks
every blob digest and diff id.
"""

import argparse
import copy
import gzip
import hashlib
import io
import json
import os
import shutil
import tarfile

LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
REF = "org.opencontainers.image.ref.name"
CHANGED_FILE = "etc/imgaudit-bench"


def blob_path(layout, digest):
    algo, hexa = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, hexa)


def read_json(path):
    with open(path, "rb") as f:
        return json.load(f)


def put_blob(layout, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = blob_path(layout, digest)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return digest


def link_blob(src, dst, digest):
    target = blob_path(dst, digest)
    if os.path.exists(target):
        return
    try:
        os.link(blob_path(src, digest), target)
    except OSError:
        shutil.copyfile(blob_path(src, digest), target)


def gzip_layer(tar_bytes):
    """(gzip bytes, diff id): mtime 0 so that the blob digest is reproducible."""
    return gzip.compress(tar_bytes, compresslevel=6, mtime=0), \
        "sha256:" + hashlib.sha256(tar_bytes).hexdigest()


def changed_top_layer(layer_blob):
    """The top layer again, entry for entry, with CHANGED_FILE's contents changed."""
    out = io.BytesIO()
    with tarfile.open(layer_blob, "r:gz") as src, \
            tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as dst:
        found = False
        for member in src:
            data = src.extractfile(member).read() if member.isfile() else None
            if member.name == CHANGED_FILE:
                data = b"imgaudit-bench rebuilt: the top layer changed\n"
                member.size = len(data)
                found = True
            dst.addfile(member, io.BytesIO(data) if data is not None else None)
    if not found:
        raise SystemExit(f"derive.py: the top layer has no {CHANGED_FILE}")
    return out.getvalue()


def fleet_layer(n, mtime):
    """A small layer of one fleet member's own: an app directory and a marker file."""
    out = io.BytesIO()
    files = {
        "etc/imgaudit-fleet": f"fleet-{n}\n".encode(),
        "srv/app/main.py": (f'"""Service {n} of the benchmark fleet."""\n\nNAME = "fleet-{n}"\n\n'
                            'def main():\n    print(NAME)\n').encode(),
        "srv/app/settings.toml": f'name = "fleet-{n}"\nport = {8000 + n}\n'.encode(),
    }
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for d in ("etc", "srv", "srv/app"):
            info = tarfile.TarInfo(d + "/")
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, mtime
            tar.addfile(info)
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), 0o644, mtime
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def last_layer_history(history):
    """Index of the history entry that made the last layer (the last one not empty_layer)."""
    for i in range(len(history) - 1, -1, -1):
        if not history[i].get("empty_layer"):
            return i
    raise SystemExit("derive.py: the config's history names no layer")


def write_image(dst, manifest, config, layers, diff_ids, history, tag):
    config = copy.deepcopy(config)
    config["rootfs"]["diff_ids"] = diff_ids
    config["history"] = history
    config_bytes = json.dumps(config, separators=(",", ":")).encode()
    manifest = copy.deepcopy(manifest)
    manifest["config"] = {"mediaType": CONFIG_TYPE, "digest": put_blob(dst, config_bytes),
                          "size": len(config_bytes)}
    manifest["layers"] = layers
    manifest_bytes = json.dumps(manifest, separators=(",", ":")).encode()
    return {"mediaType": MANIFEST_TYPE, "digest": put_blob(dst, manifest_bytes),
            "size": len(manifest_bytes), "annotations": {REF: tag}}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True, help="source OCI layout")
    ap.add_argument("--tag", default="bench", help="the image to derive from")
    ap.add_argument("--dst", required=True, help="new OCI layout (must not exist)")
    ap.add_argument("--fleet", type=int, default=9, help="fleet images to derive")
    a = ap.parse_args()

    index = read_json(os.path.join(a.src, "index.json"))
    desc = next((m for m in index["manifests"]
                 if m.get("annotations", {}).get(REF) == a.tag), None)
    if desc is None:
        raise SystemExit(f"derive.py: no image tagged {a.tag} in {a.src}")
    manifest = read_json(blob_path(a.src, desc["digest"]))
    config = read_json(blob_path(a.src, manifest["config"]["digest"]))
    layers = manifest["layers"]
    diff_ids = config["rootfs"]["diff_ids"]
    history = config.get("history", [])
    if len(layers) != len(diff_ids) or \
            sum(not h.get("empty_layer") for h in history) != len(layers):
        raise SystemExit("derive.py: the source config does not match its layers")

    os.makedirs(os.path.join(a.dst, "blobs", "sha256"))
    with open(os.path.join(a.dst, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    for d in [desc["digest"], manifest["config"]["digest"]] + [l["digest"] for l in layers]:
        link_blob(a.src, a.dst, d)
    manifests = [desc]
    created = config.get("created") or history[-1].get("created")
    mtime = 1700000000

    # bench-top: the same image, its last layer rebuilt with one file changed.
    blob, diff_id = gzip_layer(changed_top_layer(blob_path(a.src, layers[-1]["digest"])))
    top_history = copy.deepcopy(history)
    i = last_layer_history(top_history)
    top_history[i]["created_by"] += "  # rebuilt: etc/imgaudit-bench changed"
    top_history[i]["created"] = created
    manifests.append(write_image(
        a.dst, manifest, config,
        layers[:-1] + [{"mediaType": LAYER_TYPE, "digest": put_blob(a.dst, blob),
                        "size": len(blob)}],
        diff_ids[:-1] + [diff_id], top_history, "bench-top"))

    # fleet-N: the same image plus a small layer of its own.
    for n in range(1, a.fleet + 1):
        blob, diff_id = gzip_layer(fleet_layer(n, mtime))
        fleet_history = history + [{
            "created": created,
            "created_by": f"/bin/sh -c #(nop) COPY app-{n} /srv/app/  # fleet-{n}",
        }]
        manifests.append(write_image(
            a.dst, manifest, config,
            layers + [{"mediaType": LAYER_TYPE, "digest": put_blob(a.dst, blob),
                       "size": len(blob)}],
            diff_ids + [diff_id], fleet_history, f"fleet-{n}"))

    with open(os.path.join(a.dst, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": manifests}, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
