#!/usr/bin/env python3
"""Measure what pipenv does with PIPENV_SYSTEM / --system, for imgaudit's PIPENV001.

Rerunnable by hand (NOT run by CI). It:
  1. installs each pipenv version with pip into its own venv under <lab>/tools/<version>
     (pip uses the machine's own index configuration; no registry host is named here);
  2. copies the running CPython (sys.base_prefix) into prepared prefixes under <lab>/prefixes:
     `usrlocal` (a source-built python as in python:3.x images), `debian` (the same with
     `<stdlib>/EXTERNALLY-MANAGED`), `conda` (conda-meta/, no pyvenv.cfg), and venvs made from
     `usrlocal` and from `debian`;
  3. builds a tiny wheel `tinypkg` and serves a PEP 503 index on 127.0.0.1 (no public package);
  4. runs `pipenv sync` / `pipenv install [--deploy]` of a one-dependency project under `env -i`
     with a fresh HOME and the variables listed per case, in order, and reads where `tinypkg`
     landed (or the error and exit code);
  5. writes <out> (default: pipenv-truth.json beside this script).

Usage: python3 measure-pipenv.py [--lab /tmp/pipenv-lab] [--out FILE] [--versions V,V,...]
Needs: Linux, root, and a CPython 3.11 to copy (`setpriv` only for a case given a `uid`).
"""

import argparse
import base64
import functools
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile

# Why these versions: 2022.1.8 is the last release before pipenv vendored its own patched pip
# into system installs' code path and the oldest still seen in images built on Python 3.11;
# 2022.12.19 is the version Debian 12 packages; 2023.7.23 is mid-2023 (before the
# requirementslib removal); 2023.12.1, 2024.4.1 and 2025.0.4 are the last release of each
# year's series; 2026.2.2 is the last release parsing options with (vendored) click, now 8.3;
# 2026.10.3 is the newest on the index when measured.
VERSIONS = ["2022.1.8", "2022.12.19", "2023.7.23", "2023.12.1", "2024.4.1", "2025.0.4", "2026.2.2",
            "2026.10.3"]

# virtualenv as it was when each older pipenv was released: today's virtualenv no longer seeds
# setuptools, which the resolver of pipenv 2022.x imports inside the venv it creates.
VIRTUALENV_PIN = {"2022.1.8": "20.13.0", "2022.12.19": "20.17.1", "2023.7.23": "20.24.2"}

TRUTH_VALUES = ["1", "true", "TRUE", "yes", "on", "t", "y",
                "0", "false", "no", "off", "", "2", "garbage", " 1"]

PY = "python3.11"
TOOLS = ""  # <lab>/tools, set by main()
RUN_TIMEOUT = 180


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


# --------------------------------------------------------------------------------------------
# lab setup

def install_tools(tools, versions):
    for v in versions:
        d = os.path.join(tools, v)
        if os.path.exists(os.path.join(d, "bin", "pipenv")):
            continue
        sh([sys.executable, "-m", "venv", d])
        # ...and wheel, which python:3.11 images still carried then and which pipenv 2022.x's
        # `--no-use-pep517` needs beside pip.
        pins = [f"virtualenv=={VIRTUALENV_PIN[v]}", "wheel"] if v in VIRTUALENV_PIN else []
        sh([os.path.join(d, "bin", "python"), "-m", "pip", "install", "-q", f"pipenv=={v}"] + pins)


KEEP_SITE = ("pip", "setuptools", "_distutils_hack", "distutils-precedence.pth", "pkg_resources")


def copy_prefix(src, dst):
    """A vanilla copy of the interpreter: no test suite, only pip and setuptools installed."""
    site = os.path.join(src, "lib", PY, "site-packages")

    def ignore(d, names):
        if os.path.samefile(d, os.path.join(src, "lib", PY)):
            return {"test", "idlelib"} & set(names)
        if os.path.samefile(d, site):
            return {n for n in names if not n.startswith(KEEP_SITE)}
        if os.path.samefile(d, os.path.join(src, "bin")):
            return {n for n in names if not n.startswith(("python", "pip"))}
        return set()

    shutil.copytree(src, dst, symlinks=True, ignore=ignore)
    # Rewrite the pip launchers' shebangs to the copy's interpreter.
    for n in os.listdir(os.path.join(dst, "bin")):
        p = os.path.join(dst, "bin", n)
        if n.startswith("pip") and os.path.isfile(p):
            body = open(p).read().split("\n", 1)[1]
            open(p, "w").write(f"#!{dst}/bin/{PY}\n{body}")


def stdlib(prefix):
    return os.path.join(prefix, "lib", PY)


def site_packages(prefix):
    return os.path.join(prefix, "lib", PY, "site-packages")


def build_prefixes(lab):
    base = os.path.realpath(sys.base_prefix)
    root = os.path.join(lab, "prefixes")
    if os.path.exists(os.path.join(root, "done")):
        return
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    copy_prefix(base, os.path.join(root, "usrlocal"))
    copy_prefix(base, os.path.join(root, "debian"))
    with open(os.path.join(stdlib(os.path.join(root, "debian")), "EXTERNALLY-MANAGED"), "w") as f:
        f.write("[externally-managed]\nError=To install Python packages system-wide, try apt install\n"
                " python3-xyz, where xyz is the package you are trying to install.\n")
    copy_prefix(base, os.path.join(root, "conda"))
    os.makedirs(os.path.join(root, "conda", "conda-meta"))
    with open(os.path.join(root, "conda", "conda-meta", "history"), "w") as f:
        f.write("==> 2024-01-01 00:00:00 <==\n# cmd: conda create -p prefix python=3.11\n")
    sh([os.path.join(root, "usrlocal", "bin", PY), "-m", "venv", os.path.join(root, "venv")])
    sh([os.path.join(root, "debian", "bin", PY), "-m", "venv", os.path.join(root, "debian-venv")])
    open(os.path.join(root, "done"), "w").close()


def build_wheel(lab):
    """tinypkg 1.0, a pure wheel built by hand, and a PEP 503 index serving it."""
    idx = os.path.join(lab, "index")
    name = "tinypkg-1.0-py3-none-any.whl"
    files = {
        "tinypkg/__init__.py": b"VERSION = '1.0'\n",
        "tinypkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n",
        "tinypkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: hand\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append("tinypkg-1.0.dist-info/RECORD,,")
    files["tinypkg-1.0.dist-info/RECORD"] = ("\n".join(record) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            z.writestr(info, data)
    os.makedirs(os.path.join(idx, "files"), exist_ok=True)
    os.makedirs(os.path.join(idx, "simple", "tinypkg"), exist_ok=True)
    whl = buf.getvalue()
    open(os.path.join(idx, "files", name), "wb").write(whl)
    sha = hashlib.sha256(whl).hexdigest()
    open(os.path.join(idx, "simple", "index.html"), "w").write(
        '<html><body><a href="tinypkg/">tinypkg</a></body></html>\n')
    open(os.path.join(idx, "simple", "tinypkg", "index.html"), "w").write(
        f'<html><body><a href="../../files/{name}#sha256={sha}">{name}</a></body></html>\n')
    return idx


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve(directory):
    handler = functools.partial(QuietHandler, directory=directory)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv.server_address[1]


# --------------------------------------------------------------------------------------------
# one run

def pipfile(port, user_info=""):
    return (
        "[[source]]\n"
        f'url = "http://{user_info}127.0.0.1:{port}/simple"\n'
        "verify_ssl = false\n"
        'name = "local"\n\n'
        "[packages]\n"
        'tinypkg = "*"\n\n'
        "[requires]\n"
        'python_version = "3.11"\n'
    )


def landed(lab, run_dir, version):
    """Every place tinypkg was installed, by label."""
    out = []
    pre = os.path.join(lab, "prefixes")
    for kind in sorted(os.listdir(pre)):
        if os.path.isdir(os.path.join(site_packages(os.path.join(pre, kind)), "tinypkg")):
            out.append(f"prefix:{kind}")
    if os.path.isdir(os.path.join(site_packages(os.path.join(TOOLS, version)), "tinypkg")):
        out.append("pipenv-own-venv")
    for root, dirs, _files in os.walk(run_dir):
        if os.path.basename(root) == "site-packages" and "tinypkg" in dirs:
            rel = os.path.relpath(root, run_dir)
            if rel.startswith("home/.local/share/virtualenvs/"):
                out.append("pipenv-created-venv")
            elif rel.startswith("home/.local/lib/"):
                out.append("user-site")
            elif rel.startswith("project/.venv/"):
                out.append("project-venv")
            else:
                out.append("other:" + rel)
    return out


def clean(lab, version):
    pre = os.path.join(lab, "prefixes")
    sites = [site_packages(os.path.join(pre, k)) for k in os.listdir(pre)
             if os.path.isdir(os.path.join(pre, k))]
    sites.append(site_packages(os.path.join(TOOLS, version)))
    for s in sites:
        for n in os.listdir(s):
            if n.startswith("tinypkg") or n == "zz-pipenv-lab.pth":
                p = os.path.join(s, n)
                shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)


def summarise_output(text):
    keep = []
    for line in text.splitlines():
        low = line.lower()
        if any(k in low for k in ("externally-managed", "externally managed", "error", "invalid value",
                                   "not a valid", "break-system-packages", "permission", "usage:",
                                   "user installation", "creating a virtualenv", "installing dependencies")):
            line = re.sub(r"\x1b\[[0-9;]*m", "", line).strip()
            if line and line not in keep:
                keep.append(line[:300])
    return keep[:12]


def run_case(lab, port, version, case, lockfile):
    """Runs one case in a fresh directory; returns the record."""
    # A new directory per run: a process pipenv leaves behind may still be writing the last one.
    run_dir = os.path.join(lab, "runs", f"{len(os.listdir(os.path.join(lab, 'runs')))}")
    home = os.path.join(run_dir, "home")
    project = os.path.join(run_dir, "project")
    os.makedirs(home)
    os.makedirs(project)
    pre = os.path.join(lab, "prefixes")
    target = os.path.join(pre, case["target"])
    tool = os.path.join(TOOLS, version)
    clean(lab, version)

    pf = pipfile(port, case.get("pipfile_user_info", ""))
    if case.get("project", "locked") != "empty":
        open(os.path.join(project, "Pipfile"), "w").write(pf)
        if case.get("project", "locked") == "locked":
            open(os.path.join(project, "Pipfile.lock"), "w").write(lockfile)

    path = f"{target}/bin:/usr/local/bin:/usr/bin:/bin"
    env = {"HOME": home, "PATH": path, "LANG": "C.UTF-8", "PIP_CONFIG_FILE": os.devnull,
           "PIPENV_NOSPIN": "1", "PIPENV_YES": "1", "PIPENV_HIDE_EMOJIS": "1"}
    if case.get("activate"):
        env["VIRTUAL_ENV"] = target
    ordered = [["HOME", home], ["PATH", path], ["LANG", "C.UTF-8"], ["PIP_CONFIG_FILE", os.devnull],
               ["PIPENV_NOSPIN", "1"], ["PIPENV_YES", "1"], ["PIPENV_HIDE_EMOJIS", "1"]]
    if case.get("activate"):
        ordered.append(["VIRTUAL_ENV", target])
    for k, v in case["env"]:
        env[k] = v
        ordered.append([k, v])

    if case["launch"] == "pipenv-in-target":
        # pipenv importable by the target interpreter, as after `pip install pipenv` into it.
        open(os.path.join(site_packages(target), "zz-pipenv-lab.pth"), "w").write(
            site_packages(tool) + "\n")
        argv = [os.path.join(target, "bin", PY), "-m", "pipenv"] + case["args"]
    else:
        argv = [os.path.join(tool, "bin", "pipenv")] + case["args"]

    cmd = ["env", "-i"] + [f"{k}={v}" for k, v in ordered] + argv
    if case.get("uid"):
        os.system(f"chown -R {case['uid']}:{case['uid']} {run_dir}")
        cmd = ["setpriv", f"--reuid={case['uid']}", f"--regid={case['uid']}", "--clear-groups"] + cmd
    t0 = time.time()
    try:
        p = subprocess.run(cmd, cwd=project, capture_output=True, text=True, timeout=RUN_TIMEOUT)
        rc, out = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out = "timeout", (e.stdout or b"").decode(errors="replace")
    took = round(time.time() - t0, 1)
    where = landed(lab, run_dir, version)
    rec = {
        "id": case["id"],
        "version": version,
        "target": case["target"],
        "launch": case["launch"],
        "activate_venv": bool(case.get("activate")),
        "uid": case.get("uid", 0),
        "env": case["env"],
        "args": case["args"],
        "project": case.get("project", "locked"),
        "exit": rc,
        "landed": where,
        "venv_created": any(w in ("pipenv-created-venv", "project-venv") for w in where)
        or os.path.isdir(os.path.join(home, ".local", "share", "virtualenvs"))
        or os.path.isdir(os.path.join(project, ".venv")),
        "marker_refusal": bool(re.search(r"externally.managed", out, re.I)) and not where,
        "output": summarise_output(out),
        "seconds": took,
    }
    for name in case.get("grep_files", []):
        p = os.path.join(project, name)
        rec.setdefault("files", {})[name] = (
            None if not os.path.exists(p) else {"contains_secret": "s3cr3t" in open(p).read()})
    clean(lab, version)
    shutil.rmtree(run_dir, ignore_errors=True)
    return rec


def make_lock(lab, port, version):
    """A Pipfile.lock made by this pipenv version (resolution in a throwaway venv)."""
    d = os.path.join(lab, "locks", version)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "home"))
    os.makedirs(os.path.join(d, "project"))
    open(os.path.join(d, "project", "Pipfile"), "w").write(pipfile(port))
    target = os.path.join(lab, "prefixes", "usrlocal")
    env = {"HOME": os.path.join(d, "home"), "PATH": f"{target}/bin:/usr/bin:/bin",
           "LANG": "C.UTF-8", "PIP_CONFIG_FILE": os.devnull, "PIPENV_NOSPIN": "1", "PIPENV_YES": "1"}
    p = subprocess.run([os.path.join(TOOLS, version, "bin", "pipenv"), "lock"],
                       cwd=os.path.join(d, "project"), env=env, capture_output=True, text=True,
                       timeout=RUN_TIMEOUT)
    lock = os.path.join(d, "project", "Pipfile.lock")
    if not os.path.exists(lock):
        raise SystemExit(f"pipenv {version} lock failed:\n{p.stdout}\n{p.stderr}")
    return open(lock).read()


# --------------------------------------------------------------------------------------------
# cases

def cases():
    out = []

    def add(id_, target, args, env, launch="pipenv-own-venv", **kw):
        out.append(dict(id=id_, target=target, args=args, env=env, launch=launch, **kw))

    # 1. how PIPENV_SYSTEM's value parses (usrlocal, sync)
    add("baseline-unset", "usrlocal", ["sync"], [])
    for v in TRUTH_VALUES:
        add(f"truth:{v!r}", "usrlocal", ["sync"], [["PIPENV_SYSTEM", v]])
    add("name:pipenv_system", "usrlocal", ["sync"], [["pipenv_system", "1"]])
    # 2. flag versus variable
    add("flag:--system", "usrlocal", ["sync", "--system"], [])
    add("flag:--system+var0", "usrlocal", ["sync", "--system"], [["PIPENV_SYSTEM", "0"]])
    add("flag:--system+garbage", "usrlocal", ["sync", "--system"], [["PIPENV_SYSTEM", "garbage"]])
    # 3. commands
    for tgt in ("usrlocal", "debian"):
        add(f"cmd:install-deploy:{tgt}", tgt, ["install", "--deploy"], [["PIPENV_SYSTEM", "1"]])
        add(f"cmd:install:{tgt}", tgt, ["install"], [["PIPENV_SYSTEM", "1"]])
    add("cmd:install-flag-deploy:debian", "debian", ["install", "--system", "--deploy"], [])
    add("cmd:install-pkg-nolock:usrlocal", "usrlocal", ["install", "tinypkg"], [["PIPENV_SYSTEM", "1"]],
        project="pipfile-only")
    # 4. environments
    for tgt in ("debian", "conda"):
        add(f"env:sync:{tgt}", tgt, ["sync"], [["PIPENV_SYSTEM", "1"]])
    add("env:sync:debian+PIP_BREAK_SYSTEM_PACKAGES", "debian", ["sync"],
        [["PIPENV_SYSTEM", "1"], ["PIP_BREAK_SYSTEM_PACKAGES", "1"]])
    add("env:sync:debian+PIP_BREAK_SYSTEM_PACKAGES=0", "debian", ["sync"],
        [["PIPENV_SYSTEM", "1"], ["PIP_BREAK_SYSTEM_PACKAGES", "0"]])
    add("env:sync:debian+PIPENV_BREAK_SYSTEM_PACKAGES", "debian", ["sync"],
        [["PIPENV_SYSTEM", "1"], ["PIPENV_BREAK_SYSTEM_PACKAGES", "1"]])
    for tgt in ("venv", "debian-venv"):
        add(f"env:sync:{tgt}:path-only", tgt, ["sync"], [["PIPENV_SYSTEM", "1"]])
        add(f"env:sync:{tgt}:activated", tgt, ["sync"], [["PIPENV_SYSTEM", "1"]], activate=True)
    add("env:sync:venv:activated:nosystem", "venv", ["sync"], [], activate=True)
    add("env:sync:venv:activated:ignore-venvs", "venv", ["sync"],
        [["PIPENV_IGNORE_VIRTUALENVS", "1"]], activate=True)
    add("env:sync:venv:activated:ignore-venvs+system", "venv", ["sync"],
        [["PIPENV_IGNORE_VIRTUALENVS", "1"], ["PIPENV_SYSTEM", "1"]], activate=True)
    add("env:sync:usrlocal:venv-in-project+system", "usrlocal", ["sync"],
        [["PIPENV_VENV_IN_PROJECT", "1"], ["PIPENV_SYSTEM", "1"]])
    # 5. which interpreter: pipenv running under the target interpreter itself
    for tgt in ("usrlocal", "debian"):
        add(f"launch:in-target:{tgt}", tgt, ["sync"], [["PIPENV_SYSTEM", "1"]], launch="pipenv-in-target")
    # (A non-root case is not measured: under setpriv the copied interpreter did not put its
    # own site-packages on sys.path, so the run would not show what pipenv does.)
    # 7. a mirror with credentials: does it reach the project files?
    # (not --system: `pipenv install NAME --system` is refused, see cmd:install-pkg-nolock)
    add("mirror:credentials", "usrlocal", ["install", "tinypkg"],
        [["PIPENV_PYPI_MIRROR", "MIRROR"]], project="empty",
        grep_files=["Pipfile", "Pipfile.lock"])
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lab", default="/tmp/pipenv-lab")
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                   "pipenv-truth.json"))
    ap.add_argument("--versions", default=",".join(VERSIONS))
    ap.add_argument("--only", default="", help="regex on case ids")
    ap.add_argument("--jobs", type=int, default=2, help="parallel workers, each with its own prefixes")
    ap.add_argument("--tools", default="", help="(internal) where the pipenv venvs are")
    ap.add_argument("--replace-in", default="",
                    help="rerun the --only cases and replace their records in this existing JSON")
    args = ap.parse_args()
    versions = args.versions.split(",")
    if os.geteuid() != 0:
        raise SystemExit("run as root (the runs write into the copied interpreters and switch users)")
    lab = os.path.abspath(args.lab)
    os.makedirs(lab, exist_ok=True)
    global TOOLS
    TOOLS = args.tools or os.path.join(lab, "tools")
    install_tools(TOOLS, versions)
    if args.replace_in:
        return replace_in(args, lab, versions)
    if args.jobs > 1 and len(versions) > 1:
        return run_parallel(args, lab, versions)
    build_prefixes(lab)
    port = serve(build_wheel(lab))
    mirror = f"http://user:s3cr3t@127.0.0.1:{port}/simple"
    shutil.rmtree(os.path.join(lab, "runs"), ignore_errors=True)
    os.makedirs(os.path.join(lab, "runs"), exist_ok=True)
    records = []
    t0 = time.time()
    for v in versions:
        lock = make_lock(lab, port, v)
        for case in cases():
            if args.only and not re.search(args.only, case["id"]):
                continue
            case["env"] = [[k, mirror if val == "MIRROR" else val] for k, val in case["env"]]
            rec = run_case(lab, port, v, case, lock)
            # The port changes per run of this script; keep the records stable.
            rec["env"] = [[k, val.replace(str(port), "PORT")] for k, val in rec["env"]]
            rec["output"] = [line.replace(str(port), "PORT").replace(TOOLS, "<lab>/tools").replace(lab, "<lab>")
                             for line in rec["output"]]
            records.append(rec)
            print(f"{v:11} {rec['id']:45} exit={rec['exit']!s:4} landed={rec['landed']} "
                  f"{rec['seconds']}s", file=sys.stderr, flush=True)
    write_doc(args.out, versions, records, time.time() - t0)


def run_parallel(args, lab, versions):
    """Splits the versions over workers with a lab each (prefixes are shared by a worker's runs)."""
    t0 = time.time()
    shares = [versions[i::args.jobs] for i in range(args.jobs)]
    procs = []
    for i, share in enumerate(shares):
        cmd = [sys.executable, os.path.abspath(__file__), "--lab", os.path.join(lab, f"w{i}"),
               "--tools", TOOLS, "--versions", ",".join(share), "--jobs", "1",
               "--out", os.path.join(lab, f"w{i}.json")]
        if args.only:
            cmd += ["--only", args.only]
        procs.append(subprocess.Popen(cmd))
    if any(p.wait() for p in procs):
        raise SystemExit("a worker failed")
    by_version = {}
    for i in range(args.jobs):
        for rec in json.load(open(os.path.join(lab, f"w{i}.json")))["records"]:
            by_version.setdefault(rec["version"], []).append(rec)
    records = [r for v in versions for r in by_version.get(v, [])]
    write_doc(args.out, versions, records, time.time() - t0)


def replace_in(args, lab, versions):
    """Reruns the --only cases (in one worker) and swaps their records in an existing file."""
    t0 = time.time()
    tmp = os.path.join(lab, "replace.json")
    cmd = [sys.executable, os.path.abspath(__file__), "--lab", os.path.join(lab, "w0"),
           "--tools", TOOLS, "--versions", ",".join(versions), "--jobs", "1", "--out", tmp,
           "--only", args.only]
    subprocess.run(cmd, check=True)
    fresh = {(r["version"], r["id"]): r for r in json.load(open(tmp))["records"]}
    doc = json.load(open(args.replace_in))
    records = [fresh.pop((r["version"], r["id"]), r) for r in doc["records"]]
    records += list(fresh.values())
    seconds = doc["total_seconds"] + time.time() - t0
    write_doc(args.replace_in, doc["versions"], records, seconds)


def write_doc(out, versions, records, seconds):
    doc = {
        "description": "Empirical pipenv --system / PIPENV_SYSTEM decisions. Each record is one real "
                       "`pipenv sync` / `pipenv install` of a project depending on `tinypkg` (a local "
                       "wheel on a PEP 503 index on 127.0.0.1), run under `env -i` with a fresh HOME "
                       "and the listed variables in order; `landed` is where tinypkg was found after.",
        "python": "CPython 3.11.7 (vanilla build) copied per environment under <lab>/prefixes",
        "targets": {
            "usrlocal": "source-built python, not a venv (python:3.x-like); its bin/ first on PATH",
            "debian": "same with <stdlib>/EXTERNALLY-MANAGED (Debian-like PEP 668 marker)",
            "conda": "same with conda-meta/history, no marker, no pyvenv.cfg",
            "venv": "a venv made from usrlocal; its bin/ first on PATH",
            "debian-venv": "a venv made from debian (the marker is in the base, not in the venv)",
        },
        "launch": {
            "pipenv-own-venv": "pipenv installed in its own venv <lab>/tools/<version> (like pipx); "
                               "its interpreter differs from the python on PATH",
            "pipenv-in-target": "the target interpreter runs `python -m pipenv` (pipenv importable "
                                "from it, as after `pip install pipenv` into the image's python)",
        },
        "landed_labels": {
            "prefix:<target>": "site-packages of that prepared interpreter",
            "pipenv-own-venv": "the venv pipenv itself runs from",
            "pipenv-created-venv": "a virtualenv pipenv created under WORKON_HOME (~/.local/share/virtualenvs)",
            "project-venv": "<project>/.venv",
            "user-site": "~/.local/lib/python3.11/site-packages",
        },
        "fixed_env": "HOME, PATH=<target>/bin:/usr/local/bin:/usr/bin:/bin, LANG=C.UTF-8, "
                     "PIP_CONFIG_FILE=/dev/null (the machine's pip.conf kept out), PIPENV_NOSPIN=1, "
                     "PIPENV_YES=1, PIPENV_HIDE_EMOJIS=1; then VIRTUAL_ENV when activate_venv; then `env`",
        "versions": versions,
        "run_count": len(records),
        "total_seconds": round(seconds),
        "records": records,
    }
    with open(out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
