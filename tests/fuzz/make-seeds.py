#!/usr/bin/env python3
"""Builds the seed corpora of the fuzz targets (tests/fuzz/fuzz_targets) into OUT/<target>/.

Seeds come from the repository (Dockerfiles, imgaudit.toml files, the documentation's
examples), from small synthetic layers made here (whiteouts, links, long names, PAX headers,
each as tar, gzip and zstd), and, with --images DIR (a directory tests/real-images/build.sh
filled), from the real test images: their index.json, manifests, configs, small layers, the
files the facts read, and each image rebuilt small (only its layers under --max-layer bytes,
config and manifests rewritten to match) as a legacy `docker save` tarball, a Docker 25+ one, a
go-containerregistry one and an OCI archive (the seeds of both save_stream and archive).

Multi-part seeds are cut by the separator line of tests/fuzz/src/lib.rs. Everything is
deterministic: the same inputs give the same bytes, so a regenerated corpus shows no diff.
The committed corpus (tests/fuzz/corpus) is this script's output with --max-seed 65536;
ci/fuzz.sh runs it again over the real images CI builds, with larger seeds, into a scratch
directory.

usage: make-seeds.py OUT [--images DIR] [--max-seed BYTES] [--max-layer BYTES]
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile

SEPARATOR = b"\n--8<--\n"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# What the facts read, by path suffix or pattern (crates/imgaudit-facts: the CAPTURE lists).
FACT_FILE = re.compile(
    r"(^|/)(etc/passwd|pip\.conf|pip\.ini|\.bashrc|\.profile|\.bash_profile|\.zshenv|"
    r"etc/environment|etc/profile|etc/bash\.bashrc|etc/profile\.d/[^/]+\.sh|"
    r"EXTERNALLY-MANAGED|pyvenv\.cfg|var/lib/dpkg/info/[^/]*python[^/]*\.list)$"
)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


class Out:
    def __init__(self, root, max_seed):
        self.root = root
        self.max_seed = max_seed
        self.count = 0
        self.seen = set()

    def add(self, target, name, data):
        if not data or len(data) > self.max_seed or (target, sha256(data)) in self.seen:
            return
        self.seen.add((target, sha256(data)))
        directory = os.path.join(self.root, target)
        os.makedirs(directory, exist_ok=True)
        # Named by content, as libFuzzer names what it adds: duplicates collapse.
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:60]
        path = os.path.join(directory, f"{safe}-{sha256(data)[:12]}")
        with open(path, "wb") as f:
            f.write(data)
        self.count += 1


# ---------------------------------------------------------------- tar writing

def tar_bytes(members, fmt=tarfile.PAX_FORMAT):
    """members: (name, kind, payload) with kind file|dir|symlink|hardlink|fifo|char|raw."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as tar:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            info.mtime = 0
            info.mode = 0o755 if kind == "dir" else 0o644
            data = None
            if kind == "file":
                data = payload
                info.size = len(data)
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = payload
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = payload
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
            elif kind == "char":
                info.type = tarfile.CHRTYPE
                info.devmajor, info.devminor = payload
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def gz(data):
    return gzip.compress(data, compresslevel=6, mtime=0)


def zst(data):
    if shutil.which("zstd") is None:
        return None
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, capture_output=True,
                          check=True).stdout


def synthetic_layers():
    """Small layers with every kind of entry the reader and the merge treat specially."""
    passwd = b"root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\n"
    base = tar_bytes([
        ("etc/", "dir", None),
        ("etc/passwd", "file", passwd),
        ("etc/pip.conf", "file", b"[global]\nuser = true\nindex-url = https://u:p@example.org/simple\n"),
        ("usr/lib/python3.11/", "dir", None),
        ("usr/lib/python3.11/os.py", "file", b"# stdlib\n"),
        ("usr/lib/python3.11/EXTERNALLY-MANAGED", "file", b"[externally-managed]\nError=use apt\n"),
        ("usr/bin/python3", "symlink", "python3.11"),
        ("usr/bin/python3.11", "file", b"\x7fELF"),
        ("bin", "symlink", "usr/bin"),
        ("root/.bashrc", "file", b"export PIP_USER=1\nif [ -n \"$PS1\" ]; then PIP_NO_USER=0; fi\n"),
        ("dev/null", "char", (1, 3)),
        ("run/fifo", "fifo", None),
    ])
    upper = tar_bytes([
        ("usr/lib/python3.11/.wh.EXTERNALLY-MANAGED", "file", b""),
        ("etc/.wh..wh..opq", "file", b""),
        ("etc/passwd", "file", passwd + b"extra:x:1001:1001::/home/extra:/bin/sh\n"),
        ("etc/passwd-", "hardlink", "etc/passwd"),
        ("opt/venv/pyvenv.cfg", "file", b"home = /usr/bin\ninclude-system-site-packages = true\n"),
        ("link-up", "symlink", "../../../etc"),
        ("/abs/name", "file", b"absolute"),
        ("./dot/./name/", "dir", None),
    ])
    long_names = tar_bytes([
        ("d/" + "x" * 150 + "/file", "file", b"long"),
        ("l/" + "y" * 120, "symlink", "/" + "z" * 130),
    ], fmt=tarfile.GNU_FORMAT)
    ustar = tar_bytes([("a/b", "file", b"ustar"), ("a/c", "hardlink", "a/b")],
                      fmt=tarfile.USTAR_FORMAT)
    loops = tar_bytes([
        ("a", "symlink", "b"),
        ("b", "symlink", "a"),
        ("c/", "dir", None),
        ("c/self", "symlink", "."),
        ("root-link", "symlink", "/"),
    ])
    root_entry = tar_bytes([("./", "dir", None), ("/", "dir", None), ("x", "file", b"x")])
    return [("base", base), ("upper", upper), ("long-names", long_names), ("ustar", ustar),
            ("loops", loops), ("root-entry", root_entry)]


# ---------------------------------------------------------------- real images

def read_blob(layout, digest):
    algorithm, hexdigest = digest.split(":", 1)
    with open(os.path.join(layout, "blobs", algorithm, hexdigest), "rb") as f:
        return f.read()


def blob_size(layout, digest):
    algorithm, hexdigest = digest.split(":", 1)
    return os.path.getsize(os.path.join(layout, "blobs", algorithm, hexdigest))


def layouts(images):
    """Every OCI layout directory under DIR (each holds index.json and blobs/)."""
    found = []
    for directory, subdirs, files in os.walk(images):
        subdirs.sort()
        if "index.json" in files and "blobs" in subdirs and "oci-layout" in files:
            found.append(directory)
            subdirs[:] = []
    return found


def images_of(layout, digest, depth=0):
    """(manifest digest, manifest) of every image an index entry leads to."""
    document = json.loads(read_blob(layout, digest))
    if "manifests" in document and depth < 4:
        result = []
        for entry in document["manifests"]:
            result.extend(images_of(layout, entry["digest"], depth + 1))
        return result
    if "config" in document:
        return [(digest, document)]
    return []


def uncompressed(blob):
    if blob[:2] == b"\x1f\x8b":
        return gzip.decompress(blob)
    if blob[:4] == b"\x28\xb5\x2f\xfd" and shutil.which("zstd"):
        return subprocess.run(["zstd", "-q", "-d", "-c"], input=blob, capture_output=True,
                              check=True).stdout
    return blob


def fact_files(blob):
    """The files the facts read, from one layer blob: (path, content)."""
    try:
        data = uncompressed(blob)
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar:
                name = member.name.lstrip("./")
                if member.isfile() and member.size <= 64 * 1024 and FACT_FILE.search(name):
                    yield name, tar.extractfile(member).read()
    except (tarfile.TarError, OSError, subprocess.CalledProcessError, EOFError):
        return


class SmallImage:
    """An image with only its small layers, config and manifest rewritten to match."""

    def __init__(self, layout, manifest, max_layer):
        config = json.loads(read_blob(layout, manifest["config"]["digest"]))
        layers = manifest["layers"]
        keep = [i for i, layer in enumerate(layers) if layer["size"] <= max_layer]
        diff_ids = config["rootfs"]["diff_ids"]
        config["rootfs"]["diff_ids"] = [diff_ids[i] for i in keep]
        history, layer_index = [], 0
        for step in config.get("history", []):
            if step.get("empty_layer"):
                history.append(step)
                continue
            if layer_index in keep:
                history.append(step)
            layer_index += 1
        if "history" in config:
            config["history"] = history
        self.config = json.dumps(config, separators=(",", ":")).encode()
        self.layers = [(layers[i]["mediaType"], read_blob(layout, layers[i]["digest"]),
                        diff_ids[i]) for i in keep]
        self.manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": "sha256:" + sha256(self.config), "size": len(self.config)},
            "layers": [{"mediaType": t, "digest": "sha256:" + sha256(b), "size": len(b)}
                       for t, b, _ in self.layers],
        }, separators=(",", ":")).encode()

    def index(self, ref):
        return json.dumps({"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + sha256(self.manifest), "size": len(self.manifest),
            "annotations": {"org.opencontainers.image.ref.name": ref}}]},
            separators=(",", ":")).encode()

    def oci_members(self, ref):
        members = [("oci-layout", "file", b'{"imageLayoutVersion":"1.0.0"}'),
                   ("index.json", "file", self.index(ref))]
        for blob in [self.config, self.manifest] + [b for _, b, _ in self.layers]:
            members.append(("blobs/sha256/" + sha256(blob), "file", blob))
        return members

    def oci_archive(self, ref):
        return tar_bytes(self.oci_members(ref))

    def docker25(self, tag):
        manifest = [{"Config": "blobs/sha256/" + sha256(self.config), "RepoTags": [tag],
                     "Layers": ["blobs/sha256/" + sha256(b) for _, b, _ in self.layers]}]
        return tar_bytes(self.oci_members(tag.rsplit(":", 1)[-1])
                         + [("manifest.json", "file", json.dumps(manifest).encode())])

    def legacy(self, tag):
        """As `docker save` (and skopeo's docker-archive:) writes it: layers uncompressed,
        named by diff id, a directory per layer linking to them, manifest.json last."""
        members, names = [], []
        config_name = sha256(self.config) + ".json"
        for i, (_, blob, diff_id) in enumerate(self.layers):
            data = uncompressed(blob)
            name = diff_id.split(":", 1)[1] + ".tar"
            members.append((name, "file", data))
            layer_id = sha256(f"{i}{diff_id}".encode())
            members.append((f"{layer_id}/layer.tar", "symlink", "../" + name))
            members.append((f"{layer_id}/VERSION", "file", b"1.0"))
            members.append((f"{layer_id}/json", "file", json.dumps({"id": layer_id}).encode()))
            names.append(name)
        members.insert(0, (config_name, "file", self.config))
        repo, version = tag.rsplit(":", 1)
        members.append(("repositories", "file", json.dumps({repo: {version: "x"}}).encode()))
        members.append(("manifest.json", "file", json.dumps(
            [{"Config": config_name, "RepoTags": [tag], "Layers": names}]).encode()))
        return tar_bytes(members)

    def ggcr(self, tag):
        """As go-containerregistry (crane, ko) writes a tarball: the config named by its
        digest, compressed layers, manifest.json last."""
        members = [("sha256:" + sha256(self.config), "file", self.config)]
        names = []
        for _, blob, _ in self.layers:
            name = sha256(blob) + ".tar.gz"
            members.append((name, "file", blob))
            names.append(name)
        members.append(("manifest.json", "file", json.dumps(
            [{"Config": "sha256:" + sha256(self.config), "RepoTags": [tag],
              "Layers": names}]).encode()))
        return tar_bytes(members, fmt=tarfile.USTAR_FORMAT)


def real_seeds(out, images, max_layer):
    facts_files = {}
    for layout in layouts(images):
        label = os.path.relpath(layout, images)
        index = read_blob_file(os.path.join(layout, "index.json"))
        entries = json.loads(index).get("manifests", [])
        for entry in entries:
            top = read_blob(layout, entry["digest"])
            for manifest_digest, manifest in images_of(layout, entry["digest"]):
                # documents: the index (or manifest) first, then what it names.
                blobs = [read_blob(layout, manifest_digest),
                         read_blob(layout, manifest["config"]["digest"])]
                small = [read_blob(layout, l["digest"]) for l in manifest["layers"]
                         if l["size"] <= max_layer]
                firsts = [top] if top != blobs[0] else []
                out.add("documents", label, SEPARATOR.join(firsts + blobs + small))
                if top != blobs[0]:
                    out.add("documents", label + "-index-only", SEPARATOR.join([top] + blobs))
                for layer in manifest["layers"]:
                    if layer["size"] <= max_layer:
                        blob = read_blob(layout, layer["digest"])
                        out.add("layer", label, blob)
                    if layer["size"] <= 128 * 1024 * 1024:
                        for path, content in fact_files(read_blob(layout, layer["digest"])):
                            facts_files.setdefault(path, content)
                out.add("assemble", label, SEPARATOR.join(small))
                image = SmallImage(layout, manifest, max_layer)
                tag = "imgaudit-fuzz/" + re.sub(r"[^a-z0-9]+", "-", label.lower()) + ":seed"
                for kind, data in [("oci-archive", image.oci_archive("seed")),
                                   ("docker25", image.docker25(tag)),
                                   ("legacy", image.legacy(tag)),
                                   ("ggcr", image.ggcr(tag))]:
                    # The archive target reads these too (ci/fuzz.sh): one copy in the repo.
                    out.add("save_stream", f"{label}-{kind}", data)
                config = json.loads(blobs[1])
                history = [step.get("created_by", "") for step in config.get("history", [])]
                for dockerfile in dockerfiles():
                    if os.path.basename(os.path.dirname(dockerfile)) in label:
                        with open(dockerfile, "rb") as f:
                            out.add("dockerfile", label + "-with-history", f.read() + SEPARATOR
                                    + "\n".join(history).encode())
                env = (config.get("config") or {}).get("Env") or []
                user = (config.get("config") or {}).get("User") or ""
                facts_header = "\n".join([user] + env).encode()
                facts_files.setdefault("#header", facts_header)
    return facts_files


def read_blob_file(path):
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------- repository files

def dockerfiles():
    found = [os.path.join(REPO, "Dockerfile")]
    base = os.path.join(REPO, "tests", "real-images")
    for name in sorted(os.listdir(base)):
        path = os.path.join(base, name, "Dockerfile")
        if os.path.isfile(path):
            found.append(path)
    return found


def fenced_blocks(path, language):
    """The ```language blocks of a Markdown file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    return re.findall(r"```" + language + r"\n(.*?)```", text, flags=re.S)


FACTS_ORDER = [
    "etc/passwd", "etc/pip.conf", "root/.bashrc", "etc/environment", "etc/profile.d/fuzz.sh",
    "usr/lib/python3.11/EXTERNALLY-MANAGED", "opt/venv/pyvenv.cfg",
    "var/lib/dpkg/info/python3-pip.list", "root/.config/pip/pip.conf", "home/app/.profile",
]


def repository_seeds(out):
    for path in dockerfiles():
        with open(path, "rb") as f:
            out.add("dockerfile", os.path.relpath(path, REPO), f.read())
    out.add("dockerfile", "heredoc-escape", b"# escape=`\nFROM debian AS base\nARG V=1\n"
            b"ENV PIP_USER=1 A=\"b c\"\nRUN <<EOF bash\nset -e\npip install x\nEOF\n"
            b"FROM base AS app\nCOPY --from=base <<-X /f\n\tdata\n\tX\nONBUILD RUN echo\n"
            b"SHELL [\"/bin/bash\", \"-c\"]\nRUN [\"pip\", \"install\", \"y\"]\n"
            + SEPARATOR + b"/bin/sh -c #(nop)  ENV PIP_USER=1\n#empty ARG V=1\n#none\n"
            b"RUN |1 V=1 /bin/sh -c pip install x # buildkit\n")
    config_dir = os.path.join(REPO, "crates", "imgaudit-config", "tests", "data")
    for name in sorted(os.listdir(config_dir)):
        with open(os.path.join(config_dir, name), "rb") as f:
            out.add("config", name, f.read())
    for doc in ["docs/configuration.md", "README.md"]:
        for i, block in enumerate(fenced_blocks(os.path.join(REPO, doc), "toml")):
            out.add("config", f"{doc}-{i}", block.encode())
    with open(os.path.join(REPO, "crates", "imgaudit-config", "src", "lib.rs"),
              encoding="utf-8") as f:
        lines = [l[4:] if l.startswith("//! ") else "" for l in f if l.startswith("//!")]
        text = "\n".join(lines)
        for block in re.findall(r"```toml\n(.*?)```", text, flags=re.S):
            out.add("config", "crate-doc", block.encode())

    shell_samples = [
        b"export PIP_USER=1\n",
        b"case $- in *i*) ;; *) return;; esac\nexport PIP_NO_USER=yes\n",
        b"[ -z \"$PS1\" ] && return\nset -a\nPIP_BREAK_SYSTEM_PACKAGES=1\nset +a\n"
        b"declare -x A=$'x\\ty' B=\"${A:-d}\" C=${A:+e}\nunset A; export -n B\n",
        b"if true; then\n  export X=1 Y\nfi\nf() { local Z=2; }\ncat <<EOF\nexport NO=1\nEOF\n",
        b"PIP_INDEX_URL=\"https://user:secret@example.org/simple\"\nPATH DEFAULT=/usr/bin OVERRIDE=${HOME}/bin\n",
    ]
    for i, sample in enumerate(shell_samples):
        out.add("shell", f"sample-{i}", sample)
    pip_samples = [
        b"[global]\nuser = true\nbreak-system-packages = yes\n",
        b"[DEFAULT]\nno-user = 1\n[install]\nuser: off\n  continued\n; comment\n# comment\n",
        b"\xef\xbb\xbf[global]\nindex-url=https://u:p@example.org\n[global]\n",
        b"no header\n[x]\nkey\n=value\n",
        b"[externally-managed]\nError=To install Python packages system-wide, try apt install\n"
        b" python3-xyz.\nError-de_DE=Nein\n",
        b"home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.11.2\n",
        b"23.0.1\n[global]\n",
    ]
    for i, sample in enumerate(pip_samples):
        out.add("pip_config", f"sample-{i}", sample)

    for name, layer in synthetic_layers():
        out.add("layer", name, layer)
        out.add("layer", name + "-gzip", gz(layer))
        compressed = zst(layer)
        if compressed:
            out.add("layer", name + "-zstd", compressed)
    layers = dict(synthetic_layers())
    out.add("assemble", "base-upper", SEPARATOR.join([layers["base"], layers["upper"]]))
    out.add("assemble", "loops-base-upper",
            SEPARATOR.join([layers["loops"], layers["base"], gz(layers["upper"])]))

    facts = {
        "#header": b"app\nPATH=/usr/local/bin:/usr/bin:/bin\nPIP_NO_USER=1\nBASH_ENV=/etc/profile.d/fuzz.sh",
        "etc/passwd": b"root:x:0:0:root:/root:/bin/bash\napp:x:1000:1000::/home/app:/bin/sh\n",
        "etc/pip.conf": pip_samples[0],
        "root/.bashrc": shell_samples[0],
        "etc/environment": shell_samples[4],
        "etc/profile.d/fuzz.sh": shell_samples[2],
        "usr/lib/python3.11/EXTERNALLY-MANAGED": pip_samples[4],
        "opt/venv/pyvenv.cfg": pip_samples[5],
    }
    out.add("facts", "synthetic", facts_seed(facts))


def facts_seed(files):
    """A facts input: the header, then the files in FACTS_ORDER (empty when absent)."""
    parts = [files.get("#header", b"")]
    for path in FACTS_ORDER:
        parts.append(files.get(path, b""))
    while len(parts) > 1 and not parts[-1]:
        parts.pop()
    return SEPARATOR.join(parts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out")
    parser.add_argument("--images", help="a directory tests/real-images/build.sh filled")
    parser.add_argument("--max-seed", type=int, default=1024 * 1024)
    parser.add_argument("--max-layer", type=int, default=256 * 1024,
                        help="layers larger than this (as stored) are left out of the seeds")
    args = parser.parse_args()
    out = Out(args.out, args.max_seed)
    repository_seeds(out)
    if args.images:
        if not os.path.isfile(os.path.join(args.images, "images.json")):
            sys.exit(f"make-seeds: {args.images} holds no images.json: not a real-images directory")
        found = real_seeds(out, args.images, args.max_layer)
        # Files found in the images, put where the facts target lays them.
        by_role = {"#header": found.get("#header", b"")}
        for path, content in sorted(found.items()):
            for role in FACTS_ORDER:
                if os.path.basename(path) == os.path.basename(role) and role not in by_role:
                    by_role[role] = content
            for target in ("shell", "pip_config"):
                if target == "shell" and re.search(r"(bashrc|profile|environment|\.sh)$", path):
                    out.add("shell", path, content)
                if target == "pip_config" and re.search(
                        r"(pip\.conf|pip\.ini|EXTERNALLY-MANAGED|pyvenv\.cfg)$", path):
                    out.add("pip_config", path, content)
        out.add("facts", "real-images", facts_seed(by_role))
    print(f"make-seeds: {out.count} seeds in {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
