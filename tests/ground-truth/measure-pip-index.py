#!/usr/bin/env python3
"""Measure which indexes pip uses and which version it installs, for pip's risky index settings.

Produces `pip-index-truth.json` (summarised in PIP-INDEX-SEMANTICS.md). Not run by CI: run it by
hand, as root, on a Linux machine with `unshare` and `ip`:

    python3 measure-pip-index.py LAB_DIR OUT_JSON [PIP_VERSION ...]

What it does:
1. Outside any namespace: downloads the pip wheels with the machine's own pip configuration into
   LAB_DIR/wheels, makes one venv per pip version (`python3 -m venv --without-pip`, the pip wheel
   unpacked into its site-packages; pip 9/18 also get a `collections` alias shim, which touches no
   option handling), builds the tiny wheels and the PEP 503 index directories.
2. Re-runs itself under `unshare -mn` (private mount and network namespaces): brings `lo` up, adds
   two documentation addresses (192.0.2.10, 198.51.100.20) to `lo` (pip decides "loopback" from
   the URL's host, never from the route, so these count as non-loopback hosts), bind-mounts a lab
   `hosts` file over /etc/hosts and a lab file over /etc/pip.conf, and serves every index with
   Python's `http.server` in threads, one server per (address, port), logging each request.
3. Runs `pip install --target T tinypkg` once per (pip version, case) with `env -i` (PATH, HOME
   (fresh per run), XDG_CONFIG_DIRS (a per-run dir), LC_ALL, then the case's variables in order),
   the case's config files, and records the exit code, the version and origin of the package that
   landed in T (each wheel carries the label of the server that served it), the servers asked, in
   order, pip's "Looking in indexes/links" lines and its "not a trusted or secure host" warnings.

No public package is installed in a run, and nothing outside LAB_DIR is written: the host's
/etc/pip.conf and /etc/hosts are only covered inside the private mount namespace.
"""

import base64
import hashlib
import http.server
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile

DEFAULT_VERSIONS = [
    "9.0.3",
    "18.1",
    "20.3.4",
    "21.3.1",
    "22.3.1",
    "23.3.2",
    "24.3.1",
    "25.3",
    "26.3",
]
SHIM_VERSIONS = {"9.0.3", "18.1"}

# label -> (bind address, port, layout, version, url host as written in the cases)
# layout "simple": PEP 503 tree under /simple/; "flat": a directory listing of wheels (find-links).
SERVERS = {
    "L1": ("127.0.0.1", 8101, "simple", "1.0"),
    "L2": ("127.0.0.1", 8102, "simple", "2.0"),
    "L3": ("127.0.0.1", 8103, "simple", "3.0"),
    "LT": ("127.0.0.1", 8105, "simple", "1.0"),
    "LF": ("127.0.0.1", 8106, "flat", "2.0"),
    "L7": ("127.0.0.2", 8107, "simple", "2.0"),
    "L6": ("::1", 8108, "simple", "2.0"),
    "N1": ("192.0.2.10", 8201, "simple", "1.0"),
    "N2": ("192.0.2.10", 8202, "simple", "2.0"),
    "N3": ("198.51.100.20", 8203, "simple", "3.0"),
    "NF": ("192.0.2.10", 8204, "flat", "2.0"),
}
NON_LOOPBACK_ADDRESSES = ["192.0.2.10/32", "198.51.100.20/32"]
HOSTS_FILE = """127.0.0.1 localhost
::1 localhost ip6-localhost ip6-loopback
192.0.2.10 pkgs.test
127.0.0.1 loop.test
"""


def url(label, host=None):
    address, port, layout, _ = SERVERS[label]
    host = host or (f"[{address}]" if ":" in address else address)
    return f"http://{host}:{port}/" + ("simple/" if layout == "simple" else "")


L1, L2, L3, LT, LF, L7, L6 = (url(x) for x in ("L1", "L2", "L3", "LT", "LF", "L7", "L6"))
N1, N2, N3, NF = (url(x) for x in ("N1", "N2", "N3", "NF"))


def case(cid, env=(), cli=(), files=None, note=""):
    return {
        "id": cid,
        "env_in_order": [list(p) for p in env],
        "cli_args": list(cli),
        "config_files": dict(files or {}),
        "note": note,
    }


# config_files keys: "etc" (/etc/pip.conf), "user" (~/.config/pip/pip.conf),
# "envfile" (the file PIP_CONFIG_FILE names; the case's env must set PIP_CONFIG_FILE={RUN}/envfile.conf).
CASES = [
    # (a) dependency confusion: which version wins across index and extra indexes
    case("dc:env-index-1.0-extra-2.0-same-host", [("PIP_INDEX_URL", L1), ("PIP_EXTRA_INDEX_URL", L2)]),
    case("dc:env-index-2.0-extra-1.0-same-host", [("PIP_INDEX_URL", L2), ("PIP_EXTRA_INDEX_URL", L1)]),
    case(
        "dc:index-localhost-extra-127.0.0.1",
        [("PIP_INDEX_URL", url("L1", "localhost")), ("PIP_EXTRA_INDEX_URL", L2)],
        note="different host names, both loopback",
    ),
    case(
        "dc:extra-other-host-trusted",
        [("PIP_INDEX_URL", L1), ("PIP_EXTRA_INDEX_URL", N2), ("PIP_TRUSTED_HOST", "192.0.2.10")],
    ),
    case(
        "dc:index-other-host-trusted-extra-loopback",
        [("PIP_INDEX_URL", N2), ("PIP_EXTRA_INDEX_URL", L1), ("PIP_TRUSTED_HOST", "192.0.2.10")],
    ),
    case("dc:tie-index-LT-extra-L1", [("PIP_INDEX_URL", LT), ("PIP_EXTRA_INDEX_URL", L1)], note="both 1.0"),
    case("dc:tie-index-L1-extra-LT", [("PIP_INDEX_URL", L1), ("PIP_EXTRA_INDEX_URL", LT)], note="both 1.0"),
    case("dc:cli-index-extra", cli=["--index-url", L1, "--extra-index-url", L2]),
    case("dc:config-index-extra", files={"etc": f"[global]\nindex-url = {L1}\nextra-index-url = {L2}\n"}),
    case("dc:find-links-beats-index", [("PIP_INDEX_URL", L1), ("PIP_FIND_LINKS", LF)]),
    case("dc:no-index-with-extra", [("PIP_NO_INDEX", "1"), ("PIP_EXTRA_INDEX_URL", L2)]),
    case("dc:no-index-with-find-links", [("PIP_NO_INDEX", "1"), ("PIP_FIND_LINKS", LF)]),
    # (b) list parsing and precedence
    case("p:env-extra-space-list", [("PIP_INDEX_URL", L1), ("PIP_EXTRA_INDEX_URL", f"{L2} {L3}")]),
    case("p:env-extra-newline-list", [("PIP_INDEX_URL", L1), ("PIP_EXTRA_INDEX_URL", f"{L3}\n{L2}")]),
    case("p:env-extra-tab-list", [("PIP_INDEX_URL", L1), ("PIP_EXTRA_INDEX_URL", f"\t{L3}\t{L2} ")]),
    case("p:env-extra-comma-list", [("PIP_INDEX_URL", L1), ("PIP_EXTRA_INDEX_URL", f"{L2},{L3}")]),
    case("p:env-extra-empty", [("PIP_INDEX_URL", L1), ("PIP_EXTRA_INDEX_URL", "")]),
    case(
        "p:env-extra-empty-config-extra",
        [("PIP_EXTRA_INDEX_URL", "")],
        files={"etc": f"[global]\nindex-url = {L1}\nextra-index-url = {L3}\n"},
    ),
    case("p:lowercase-env-extra", [("PIP_INDEX_URL", L1), ("pip_extra_index_url", L2)]),
    case("p:env-index-list", [("PIP_INDEX_URL", f"{L1} {L3}")]),
    case("p:extra-same-as-index", [("PIP_INDEX_URL", L1), ("PIP_EXTRA_INDEX_URL", L1)]),
    case("p:config-extra-one-line", files={"etc": f"[global]\nindex-url = {L1}\nextra-index-url = {L2} {L3}\n"}),
    case("p:config-extra-multiline", files={"etc": f"[global]\nindex-url = {L1}\nextra-index-url =\n    {L3}\n    {L2}\n"}),
    case(
        "p:env-extra-vs-config-extra",
        [("PIP_INDEX_URL", L1), ("PIP_EXTRA_INDEX_URL", L2)],
        files={"etc": f"[global]\nextra-index-url = {L3}\n"},
        note="2.0 = env replaces config; 3.0 = added",
    ),
    case(
        "p:install-section-vs-global-extra",
        [("PIP_INDEX_URL", L1)],
        files={"etc": f"[global]\nextra-index-url = {L3}\n[install]\nextra-index-url = {L2}\n"},
    ),
    case(
        "p:user-file-vs-etc-extra",
        [("PIP_INDEX_URL", L1)],
        files={"etc": f"[global]\nextra-index-url = {L3}\n", "user": f"[global]\nextra-index-url = {L2}\n"},
    ),
    case(
        "p:envfile-vs-etc-extra",
        [("PIP_CONFIG_FILE", "{RUN}/envfile.conf"), ("PIP_INDEX_URL", L1)],
        files={"etc": f"[global]\nextra-index-url = {L3}\n", "envfile": f"[global]\nextra-index-url = {L2}\n"},
    ),
    case(
        "p:cli-extra-with-env-extra",
        [("PIP_INDEX_URL", L1), ("PIP_EXTRA_INDEX_URL", L3)],
        cli=["--extra-index-url", L2],
        note="3.0 = CLI adds to env; 2.0 = replaces",
    ),
    case(
        "p:cli-extra-with-config-extra",
        files={"etc": f"[global]\nindex-url = {L1}\nextra-index-url = {L3}\n"},
        cli=["--extra-index-url", L2],
    ),
    case("p:env-index-with-cli-extra", [("PIP_INDEX_URL", L1)], cli=["--extra-index-url", L2]),
    case("p:env-index-vs-config-index", [("PIP_INDEX_URL", L1)], files={"etc": f"[global]\nindex-url = {L3}\n"}),
    case("p:cli-index-vs-env-index", [("PIP_INDEX_URL", L3)], cli=["--index-url", L1]),
    case("p:env-index-url-empty-config-index", [("PIP_INDEX_URL", "")], files={"etc": f"[global]\nindex-url = {L1}\n"}),
    # (c) plain http, trusted hosts, secure origins
    case("t:non-loopback-index-untrusted", [("PIP_INDEX_URL", N2)]),
    case("t:non-loopback-index-trusted-ip", [("PIP_INDEX_URL", N2), ("PIP_TRUSTED_HOST", "192.0.2.10")]),
    case("t:trusted-host-ip-port-match", [("PIP_INDEX_URL", N2), ("PIP_TRUSTED_HOST", "192.0.2.10:8202")]),
    case("t:trusted-host-ip-port-mismatch", [("PIP_INDEX_URL", N2), ("PIP_TRUSTED_HOST", "192.0.2.10:9999")]),
    case("t:trusted-host-space-list", [("PIP_INDEX_URL", N2), ("PIP_TRUSTED_HOST", "198.51.100.20 192.0.2.10")]),
    case("t:trusted-host-comma-list", [("PIP_INDEX_URL", N2), ("PIP_TRUSTED_HOST", "198.51.100.20,192.0.2.10")]),
    case("t:trusted-host-with-scheme", [("PIP_INDEX_URL", N2), ("PIP_TRUSTED_HOST", "http://192.0.2.10")]),
    case("t:trusted-host-cidr", [("PIP_INDEX_URL", N2), ("PIP_TRUSTED_HOST", "192.0.2.0/24")]),
    case("t:trusted-host-empty", [("PIP_INDEX_URL", N2), ("PIP_TRUSTED_HOST", "")]),
    case(
        "t:trusted-host-empty-env-with-config",
        [("PIP_INDEX_URL", N2), ("PIP_TRUSTED_HOST", "")],
        files={"etc": "[global]\ntrusted-host = 192.0.2.10\n"},
    ),
    case("t:trusted-host-config", [("PIP_INDEX_URL", N2)], files={"etc": "[global]\ntrusted-host = 192.0.2.10\n"}),
    case(
        "t:trusted-host-config-multiline",
        [("PIP_INDEX_URL", N2)],
        files={"etc": "[global]\ntrusted-host =\n    198.51.100.20\n    192.0.2.10\n"},
    ),
    case(
        "t:trusted-host-install-section",
        [("PIP_INDEX_URL", N2)],
        files={"etc": "[install]\ntrusted-host = 192.0.2.10\n"},
    ),
    case(
        "t:trusted-host-env-vs-config",
        [("PIP_INDEX_URL", N2), ("PIP_TRUSTED_HOST", "198.51.100.20")],
        files={"etc": "[global]\ntrusted-host = 192.0.2.10\n"},
        note="error = env replaces config",
    ),
    case(
        "t:trusted-host-cli-with-config",
        [("PIP_INDEX_URL", N2)],
        files={"etc": "[global]\ntrusted-host = 192.0.2.10\n"},
        cli=["--trusted-host", "198.51.100.20"],
        note="installs = CLI adds to config",
    ),
    case("t:hostname-index-trusted-by-name", [("PIP_INDEX_URL", url("N2", "pkgs.test")), ("PIP_TRUSTED_HOST", "pkgs.test")]),
    case("t:hostname-index-trusted-by-name-uppercase", [("PIP_INDEX_URL", url("N2", "pkgs.test")), ("PIP_TRUSTED_HOST", "PKGS.TEST")]),
    case(
        "t:hostname-index-trusted-by-its-ip",
        [("PIP_INDEX_URL", url("N2", "pkgs.test")), ("PIP_TRUSTED_HOST", "192.0.2.10")],
    ),
    case("t:hostname-resolving-to-loopback", [("PIP_INDEX_URL", url("L2", "loop.test"))]),
    case("t:localhost-index", [("PIP_INDEX_URL", url("L2", "localhost"))]),
    case("t:localhost-uppercase-index", [("PIP_INDEX_URL", url("L2", "LOCALHOST"))]),
    case("t:127.0.0.1-index", [("PIP_INDEX_URL", L2)]),
    case("t:127.0.0.2-index", [("PIP_INDEX_URL", L7)]),
    case("t:ipv6-loopback-index", [("PIP_INDEX_URL", L6)]),
    case("t:non-loopback-extra-untrusted", [("PIP_INDEX_URL", L1), ("PIP_EXTRA_INDEX_URL", N2)]),
    case("t:non-loopback-find-links-untrusted", [("PIP_INDEX_URL", L1), ("PIP_FIND_LINKS", NF)]),
    case(
        "t:non-loopback-find-links-trusted",
        [("PIP_INDEX_URL", L1), ("PIP_FIND_LINKS", NF), ("PIP_TRUSTED_HOST", "192.0.2.10")],
    ),
    case("t:trusted-host-other-port-same-ip", [("PIP_INDEX_URL", N1), ("PIP_TRUSTED_HOST", "192.0.2.10:8202")]),
]


# ---------------------------------------------------------------- lab preparation (outside the ns)


def build_wheel(path, version, origin):
    files = {
        "tinypkg/__init__.py": f"VERSION = {version!r}\nORIGIN = {origin!r}\n",
        f"tinypkg-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: tinypkg\nVersion: {version}\n",
        f"tinypkg-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: measure-pip-index\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    record.append(f"tinypkg-{version}.dist-info/RECORD,,")
    files[f"tinypkg-{version}.dist-info/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)


def prepare_lab(lab, versions):
    os.makedirs(f"{lab}/wheels", exist_ok=True)
    for v in versions:
        if not any(n.startswith(f"pip-{v}-") for n in os.listdir(f"{lab}/wheels")):
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                 "-d", f"{lab}/wheels", f"pip=={v}"],
                check=True,
            )
        venv = f"{lab}/venvs/{v}"
        if not os.path.exists(f"{venv}/bin/python"):
            subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
            site = subprocess.run(
                [f"{venv}/bin/python", "-c", "import sysconfig;print(sysconfig.get_path('purelib'))"],
                check=True, capture_output=True, text=True,
            ).stdout.strip()
            wheel = next(n for n in os.listdir(f"{lab}/wheels") if n.startswith(f"pip-{v}-"))
            with zipfile.ZipFile(f"{lab}/wheels/{wheel}") as zf:
                zf.extractall(site)
            if v in SHIM_VERSIONS:
                with open(f"{site}/sitecustomize.py", "w") as f:
                    f.write("import collections, collections.abc\n"
                            "for _n in collections.abc.__all__:\n"
                            "    setattr(collections, _n, getattr(collections.abc, _n))\n")
    root = f"{lab}/servers"
    shutil.rmtree(root, ignore_errors=True)
    for label, (_, _, layout, version) in SERVERS.items():
        name = f"tinypkg-{version}-py3-none-any.whl"
        if layout == "simple":
            d = f"{root}/{label}/simple/tinypkg"
            os.makedirs(d)
            build_wheel(f"{d}/{name}", version, label)
            digest = hashlib.sha256(open(f"{d}/{name}", "rb").read()).hexdigest()
            with open(f"{d}/index.html", "w") as f:
                f.write(f'<!DOCTYPE html><html><body><a href="{name}#sha256={digest}">{name}</a></body></html>\n')
            with open(f"{root}/{label}/simple/index.html", "w") as f:
                f.write('<!DOCTYPE html><html><body><a href="tinypkg/">tinypkg</a></body></html>\n')
        else:
            os.makedirs(f"{root}/{label}")
            build_wheel(f"{root}/{label}/{name}", version, label)
    with open(f"{lab}/hosts", "w") as f:
        f.write(HOSTS_FILE)
    open(f"{lab}/etc-pip.conf", "w").close()


# ---------------------------------------------------------------- inside the namespace

REQUESTS = []
REQUESTS_LOCK = threading.Lock()


def make_handler(label, directory):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=directory, **k)

        def log_message(self, fmt, *args):
            with REQUESTS_LOCK:
                REQUESTS.append((label, self.command, self.path, args[1] if len(args) > 1 else ""))

    return Handler


class V6Server(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6


def start_servers(lab):
    for label, (address, port, _, _) in SERVERS.items():
        cls = V6Server if ":" in address else http.server.ThreadingHTTPServer
        server = cls((address, port), make_handler(label, f"{lab}/servers/{label}"))
        threading.Thread(target=server.serve_forever, daemon=True).start()


def setup_namespace(lab):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for a in NON_LOOPBACK_ADDRESSES:
        subprocess.run(["ip", "addr", "add", a, "dev", "lo"], check=True)
    subprocess.run(["mount", "--make-rprivate", "/"], check=True)
    for src, dst in ((f"{lab}/hosts", "/etc/hosts"), (f"{lab}/etc-pip.conf", "/etc/pip.conf")):
        if not os.path.exists(dst):
            sys.exit(f"{dst} must exist as a mount point (create an empty one and remove it afterwards)")
        subprocess.run(["mount", "--bind", src, dst], check=True)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


ERROR_RE = re.compile(r"^ERROR|Could not find|No matching distribution|Error:|Exception:")
IGNORED_RE = re.compile(r"The repository located at (\S+) is not a trusted or secure host and is being ignored")


def run_case(lab, version, c):
    run = f"{lab}/runs/{version}/{re.sub(r'[^A-Za-z0-9_.-]', '_', c['id'])}"
    shutil.rmtree(run, ignore_errors=True)
    os.makedirs(f"{run}/home")
    os.makedirs(f"{run}/xdg")
    files = c["config_files"]
    # /etc/pip.conf is a bind mount of this file: rewrite it in place (same inode).
    with open(f"{lab}/etc-pip.conf", "w") as f:
        f.write(files.get("etc", ""))
    if "user" in files:
        write(f"{run}/home/.config/pip/pip.conf", files["user"])
    if "envfile" in files:
        write(f"{run}/envfile.conf", files["envfile"])
    venv = f"{lab}/venvs/{version}"
    env = {
        "PATH": f"{venv}/bin:/usr/bin:/bin",
        "HOME": f"{run}/home",
        "XDG_CONFIG_DIRS": f"{run}/xdg",
        "LC_ALL": "C.UTF-8",
    }
    env_pairs = [f"{k}={v}" for k, v in env.items()]
    for k, v in c["env_in_order"]:
        env_pairs.append(f"{k}={v.replace('{RUN}', run)}")
    cmd = ["env", "-i", *env_pairs, f"{venv}/bin/python", "-m", "pip", "install",
           "--disable-pip-version-check", "--retries", "0", "--timeout", "5",
           "--target", f"{run}/target", *c["cli_args"], "tinypkg"]
    with REQUESTS_LOCK:
        REQUESTS.clear()
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=run)
        code, out, err = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired:
        code, out, err = "timeout", "", ""
    elapsed = round(time.monotonic() - started, 2)
    with REQUESTS_LOCK:
        requests = list(REQUESTS)
    installed = None
    init = f"{run}/target/tinypkg/__init__.py"
    if os.path.exists(init):
        scope = {}
        exec(open(init).read(), scope)
        installed = {"version": scope["VERSION"], "origin": scope["ORIGIN"]}
    asked = []
    for label, _, _, _ in requests:
        if label not in asked:
            asked.append(label)
    text = (out + "\n" + err).replace(run, "{RUN}").replace(lab, "<lab>")
    lines = text.splitlines()
    return {
        "inputs": {
            "env_in_order": c["env_in_order"],
            "cli_args": c["cli_args"],
            "config_files": files,
        },
        "note": c["note"],
        "exit_code": code,
        "installed": installed,
        "servers_asked": asked,
        "requests": [f"{label} {method} {path} {status}" for label, method, path, status in requests],
        "looking_in": [ln.strip() for ln in lines if ln.strip().startswith(("Looking in indexes", "Looking in links"))],
        "ignored_hosts": IGNORED_RE.findall(text),
        "error_lines": [ln.strip() for ln in lines if ERROR_RE.search(ln)][:5],
        "seconds": elapsed,
    }


def measure(lab, out, versions):
    setup_namespace(lab)
    start_servers(lab)
    time.sleep(0.5)
    result = {
        "description": (
            "Empirical pip index selection. Each case = one real `pip install --target T tinypkg` "
            "(local wheels, local PEP 503 indexes over plain http) in a private network namespace; "
            "outcome read from the wheel that landed in T (each wheel names the server that served it) "
            "and from the servers' request logs."
        ),
        "python": "CPython 3.11.7 venv per pip version (--without-pip, pip wheel unpacked)",
        "servers": {
            label: {
                "url": url(label),
                "address": address,
                "port": port,
                "layout": layout,
                "tinypkg_version": version,
                "loopback_for_pip": address.startswith("127.") or address == "::1",
            }
            for label, (address, port, layout, version) in SERVERS.items()
        },
        "hosts_file": HOSTS_FILE,
        "command": "pip install --disable-pip-version-check --retries 0 --timeout 5 --target {RUN}/target <cli_args> tinypkg",
        "base_env": ["PATH=<venv>/bin:/usr/bin:/bin", "HOME={RUN}/home", "XDG_CONFIG_DIRS={RUN}/xdg", "LC_ALL=C.UTF-8"],
        "legend": {
            "installed": "null = nothing installed; else the version and the label of the server it came from",
            "servers_asked": "labels of the servers pip sent any request to, in order of first request",
            "ignored_hosts": "hosts pip named in 'not a trusted or secure host and is being ignored'",
            "config_files": "etc = /etc/pip.conf, user = ~/.config/pip/pip.conf, envfile = the file PIP_CONFIG_FILE names",
        },
        "versions": {},
    }
    started = time.monotonic()
    runs = 0
    for v in versions:
        cases = {}
        for c in CASES:
            cases[c["id"]] = run_case(lab, v, c)
            runs += 1
            r = cases[c["id"]]
            print(f"{v:8} {c['id']:48} exit={r['exit_code']} installed={r['installed']} asked={r['servers_asked']}",
                  flush=True)
        result["versions"][v] = {"cases": cases}
    result["run_count"] = runs
    result["total_seconds"] = round(time.monotonic() - started, 1)
    with open(out, "w") as f:
        json.dump(result, f, indent=1)
        f.write("\n")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    lab, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    versions = sys.argv[3:] or DEFAULT_VERSIONS
    if os.environ.get("MEASURE_PIP_INDEX_IN_NS") != "1":
        prepare_lab(lab, versions)
        env = dict(os.environ, MEASURE_PIP_INDEX_IN_NS="1")
        sys.exit(subprocess.run(["unshare", "-mn", sys.executable, __file__, lab, out, *versions], env=env).returncode)
    measure(lab, out, versions)


if __name__ == "__main__":
    main()
