#!/usr/bin/env python3
"""Write the synthetic scale images of ci/bench.sh as OCI layouts (Python 3 stdlib only).

Each image is one gzip layer, written entry by entry (no tarfile: a million entries through it
take minutes), so that its cost per entry can be compared across sizes and with `tar -t` of the
same blob:

  wide-N    N entries in dirs of 100 (a dir and 99 small files each) under usr/share/scale,
            N = 100k, 300k, 1m
  deep-D    a chain of D nested directories `d/d/.../d`, a file `f` every 1,000 levels and
            `bottom` at the end; tar names grow with the depth, so the layer holds O(D^2) bytes
            of names (long ones as PAX `path` records), D = 1k, 3k, 10k
  dists-K   a source-built Python (/usr/local/lib/python3.12/os.py, /usr/local/bin/python3.12,
            pip) whose site-packages holds K distributions, each NAME-VERSION.dist-info with
            METADATA, RECORD and INSTALLER, K = 10k, 30k, 100k

Everything is deterministic (fixed modes, owners and times, gzip header time 0, entries in
sorted order), so a generator run gives the same digests every time. Each layout has a valid
blob digest, diff id, config with history, and index.json naming the manifest `scale`; beside it
`scale-info.json` says what the layer holds (entries, bytes) and the generator's key, which
ci/bench.sh compares to decide whether to reuse it.

usage: scale_images.py --out DIR --key KEY [NAME...]   (default: every image)
"""

import argparse
import gzip
import hashlib
import json
import os
import shutil

TAG = "scale"
LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar+gzip"
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
CONFIG_TYPE = "application/vnd.oci.image.config.v1+json"
INDEX_TYPE = "application/vnd.oci.image.index.v1+json"
REF = "org.opencontainers.image.ref.name"
MTIME = 1_700_000_000  # every entry's modification time
CREATED = "2023-11-14T22:13:20Z"  # the same instant, for the config
PYTHON = "3.12"

SIZES = {
    "wide": [("100k", 100_000), ("300k", 300_000), ("1m", 1_000_000)],
    "deep": [("1k", 1_000), ("3k", 3_000), ("10k", 10_000)],
    "dists": [("10k", 10_000), ("30k", 30_000), ("100k", 100_000)],
}


def all_images():
    return [f"{kind}-{label}" for kind, sizes in SIZES.items() for label, _ in sizes]


# --- tar, written by hand -------------------------------------------------------------------------


def octal(value, width):
    """A tar numeric field: zero-padded octal, NUL-terminated."""
    return b"%0*o\0" % (width - 1, value)


def pax_record(key, value):
    """One `LEN key=value\\n` record, LEN counting its own digits."""
    body = b" " + key + b"=" + value + b"\n"
    length = len(body) + 1
    while len(str(length)) + len(body) != length:
        length = len(str(length)) + len(body)
    return str(length).encode() + body


def split_ustar(name):
    """(prefix, name) fitting ustar's 155 + 100 bytes, or None when no `/` splits it so."""
    if len(name) <= 100:
        return b"", name
    cut = name.rfind(b"/", 0, 156)
    while cut > 0:
        if len(name) - cut - 1 <= 100:
            return name[:cut], name[cut + 1:]
        cut = name.rfind(b"/", 0, cut)
    return None


def header(name, size, typeflag, mode, linkname=b""):
    split = split_ustar(name)
    prefix, short = split if split is not None else (b"", name[:100])
    fields = [
        short.ljust(100, b"\0"),
        octal(mode, 8),
        octal(0, 8),  # uid
        octal(0, 8),  # gid
        octal(size, 12),
        octal(MTIME, 12),
        b" " * 8,  # the checksum, computed with spaces in its place
        typeflag,
        linkname.ljust(100, b"\0"),
        b"ustar\x0000",
        b"root".ljust(32, b"\0"),
        b"root".ljust(32, b"\0"),
        octal(0, 8),
        octal(0, 8),
        prefix.ljust(155, b"\0"),
        b"\0" * 12,
    ]
    block = b"".join(fields)
    assert len(block) == 512, len(block)
    checksum = b"%06o\0 " % sum(block)
    return block[:148] + checksum + block[156:]


def padded(data):
    return data + b"\0" * (-len(data) % 512)


class Layer:
    """A tar stream fed through a gzip compressor into a file, hashed on both sides."""

    def __init__(self, path):
        self.out = open(path, "wb")
        self.blob_hash = hashlib.sha256()
        self.diff_hash = hashlib.sha256()
        self.pending = []
        self.pending_bytes = 0
        self.uncompressed = 0
        self.compressed = 0
        self.entries = 0
        self.name_bytes = 0
        # Last: it writes the gzip header through self.write at once.
        self.gzip = gzip.GzipFile(fileobj=self, mode="wb", compresslevel=6, mtime=0, filename="")

    # The compressed side: GzipFile writes here.
    def write(self, data):
        self.blob_hash.update(data)
        self.compressed += len(data)
        return self.out.write(data)

    def flush(self):
        self.out.flush()

    def put(self, data):
        self.pending.append(data)
        self.pending_bytes += len(data)
        if self.pending_bytes >= 1 << 20:
            self.drain()

    def drain(self):
        data = b"".join(self.pending)
        self.pending, self.pending_bytes = [], 0
        self.diff_hash.update(data)
        self.uncompressed += len(data)
        self.gzip.write(data)

    def entry(self, name, typeflag, mode, content=b"", linkname=b""):
        name = name.encode() if isinstance(name, str) else name
        self.entries += 1
        self.name_bytes += len(name)
        if split_ustar(name) is None:
            pax = pax_record(b"path", name)
            self.put(header(b"././@PaxHeader", len(pax), b"x", 0o644))
            self.put(padded(pax))
        self.put(header(name, len(content), typeflag, mode, linkname))
        if content:
            self.put(padded(content))

    def dir(self, name):
        self.entry(name.rstrip("/") + "/", b"5", 0o755)

    def file(self, name, content, mode=0o644):
        self.entry(name, b"0", mode, content)

    def symlink(self, name, target):
        self.entry(name, b"2", 0o777, linkname=target.encode())

    def close(self):
        self.put(b"\0" * 1024)  # the end-of-archive blocks
        self.drain()
        self.gzip.close()
        self.out.close()
        return "sha256:" + self.blob_hash.hexdigest(), "sha256:" + self.diff_hash.hexdigest()


# --- the images -----------------------------------------------------------------------------------


def write_wide(layer, entries):
    """`entries` entries: directories of 100 (the dir and 99 files), below three parents."""
    for d in ("usr", "usr/share", "usr/share/scale"):
        layer.dir(d)
    for group in range(entries // 100):
        base = f"usr/share/scale/pkg{group:06d}"
        layer.dir(base)
        for f in range(99):
            layer.file(f"{base}/module_{f:02d}.py", b"# pkg%06d module %02d\nVALUE = %d\n"
                       % (group, f, group * 100 + f))
    return "wide layer: %d entries in directories of 100" % entries


def write_deep(layer, depth):
    """A chain of `depth` directories `d`, a file `f` every 1,000 levels, `bottom` at the end."""
    path = ""
    for level in range(1, depth + 1):
        path = f"{path}/d" if path else "d"
        layer.dir(path)
        if level % 1000 == 0:
            layer.file(f"{path}/f", b"level %d\n" % level)
    layer.file(f"{path}/bottom", b"at the bottom\n")
    return "deep layer: %d nested directories" % depth


def dist_files(site, name, version):
    info = f"{site}/{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    record = (f"{name}-{version}.dist-info/METADATA,,\n{name}-{version}.dist-info/RECORD,,\n"
              f"{name}-{version}.dist-info/INSTALLER,,\n").encode()
    return info, [("INSTALLER", b"pip\n"), ("METADATA", metadata), ("RECORD", record)]


def write_dists(layer, count):
    """A source-built Python 3.12 under /usr/local with pip and `count` distributions."""
    prefix = "usr/local"
    lib = f"{prefix}/lib/python{PYTHON}"
    site = f"{lib}/site-packages"
    for d in ("usr", prefix, f"{prefix}/bin", f"{prefix}/lib", lib):
        layer.dir(d)
    layer.symlink(f"{prefix}/bin/pip3", f"pip{PYTHON}")
    layer.file(f"{prefix}/bin/pip{PYTHON}", b"#!/usr/local/bin/python3.12\n", 0o755)
    layer.symlink(f"{prefix}/bin/python3", f"python{PYTHON}")
    layer.file(f"{prefix}/bin/python{PYTHON}", b"\x7fELF synthetic interpreter\n", 0o755)
    layer.file(f"{lib}/os.py", b"# the stdlib marker imgaudit looks for\n")
    layer.dir(site)
    names = [(f"pkg{i:06d}", f"1.{i % 100}.{i // 100 % 10}") for i in range(count)]
    names.append(("pip", "24.0"))
    for name, version in sorted(names, key=lambda nv: f"{nv[0]}-{nv[1]}.dist-info"):
        info, files = dist_files(site, name, version)
        layer.dir(info)
        for leaf, content in files:
            layer.file(f"{info}/{leaf}", content)
    return "site-packages of %d distributions" % count


WRITERS = {"wide": write_wide, "deep": write_deep, "dists": write_dists}


def put_json(layout, obj):
    data = json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", digest[7:]), "wb") as f:
        f.write(data)
    return digest, len(data)


def write_image(out, name, key):
    kind, label = name.split("-", 1)
    size = dict(SIZES[kind])[label]
    final = os.path.join(out, name)
    tmp = final + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(os.path.join(tmp, "blobs", "sha256"))
    staging = os.path.join(tmp, "layer.tmp")
    layer = Layer(staging)
    step = WRITERS[kind](layer, size)
    blob, diff_id = layer.close()
    os.rename(staging, os.path.join(tmp, "blobs", "sha256", blob[7:]))
    config = {
        "architecture": "amd64",
        "os": "linux",
        "created": CREATED,
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Cmd": ["/bin/sh"],
        },
        "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        "history": [{"created": CREATED, "created_by": f"ci/bench/scale_images.py: {step}"}],
    }
    config_digest, config_size = put_json(tmp, config)
    manifest = {
        "schemaVersion": 2,
        "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, "digest": config_digest, "size": config_size},
        "layers": [{"mediaType": LAYER_TYPE, "digest": blob, "size": layer.compressed}],
    }
    manifest_digest, manifest_size = put_json(tmp, manifest)
    index = {
        "schemaVersion": 2,
        "mediaType": INDEX_TYPE,
        "manifests": [{"mediaType": MANIFEST_TYPE, "digest": manifest_digest,
                       "size": manifest_size, "annotations": {REF: TAG}}],
    }
    with open(os.path.join(tmp, "index.json"), "w") as f:
        json.dump(index, f, indent=2)
    with open(os.path.join(tmp, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    info = {
        "key": key,
        "name": name,
        "kind": kind,
        "size": size,
        "tag": TAG,
        "entries": layer.entries,
        "name_bytes": layer.name_bytes,
        "uncompressed_bytes": layer.uncompressed,
        "compressed_bytes": layer.compressed,
        "layers": [os.path.join("blobs", "sha256", blob[7:])],
    }
    with open(os.path.join(tmp, "scale-info.json"), "w") as f:
        json.dump(info, f, indent=2)
        f.write("\n")
    shutil.rmtree(final, ignore_errors=True)
    os.rename(tmp, final)
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="directory that receives one layout per image")
    ap.add_argument("--key", required=True, help="recorded in each scale-info.json")
    ap.add_argument("names", nargs="*", help=f"images to write (default: all of {all_images()})")
    a = ap.parse_args()
    names = a.names or all_images()
    unknown = sorted(set(names) - set(all_images()))
    if unknown:
        ap.error(f"unknown image(s) {unknown}; known: {all_images()}")
    os.makedirs(a.out, exist_ok=True)
    for name in names:
        info = write_image(a.out, name, a.key)
        print(f"{name}: {info['entries']} entries, {info['uncompressed_bytes'] / 1e6:.0f} MB tar, "
              f"{info['compressed_bytes'] / 1e6:.1f} MB gzip", flush=True)


if __name__ == "__main__":
    main()
