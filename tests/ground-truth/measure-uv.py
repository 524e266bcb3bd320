#!/usr/bin/env python3
"""Measure uv's real behaviour for imgaudit's ground truth (uv-truth.json).

Run by hand as root (needs `unshare -m` for a private /etc/uv per run), NOT by CI:

    python3 tests/ground-truth/measure-uv.py LAB_DIR OUT_JSON [VERSION ...]

It downloads the uv wheels with pip (pip's own configuration decides the index) into
LAB_DIR/cache, installs each into its own venv under LAB_DIR/tools, builds four interpreter
environments as trimmed copies of the running CPython (Debian-like with an EXTERNALLY-MANAGED
marker, /usr/local-like, conda-shaped, and a venv), two tiny local wheels (tinypkg 1.0 and 2.0),
serves local PEP 503 indexes on 127.0.0.1 (plain http, and https with a self-signed
certificate), then runs every case with `env -i` and a fresh HOME/cwd, and reads the outcome
from where tinypkg landed (or the error text and exit code).
"""

import base64
import hashlib
import http.server
import io
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading
import time
import zipfile

VERSIONS = ["0.1.45", "0.2.37", "0.4.30", "0.5.31", "0.6.17", "0.8.24", "0.13.9"]
BASE = sys.base_prefix
PYVER = "python%d.%d" % sys.version_info[:2]

if len(sys.argv) < 3:
    sys.exit(__doc__)
LAB = os.path.abspath(sys.argv[1])
OUT = os.path.abspath(sys.argv[2])
if len(sys.argv) > 3:
    VERSIONS = sys.argv[3:]

ENVS = os.path.join(LAB, "envs")
WHEELS = os.path.join(LAB, "wheels")
WWW = os.path.join(LAB, "www")
AUTH_LOG = []  # (path, authorization header or None)
HTTP_PORT = None
HTTPS_PORT = None


def vkey(v):
    return tuple(int(x) for x in v.split("."))


def sh(*args, **kw):
    return subprocess.run(args, check=True, **kw)


# ---------------------------------------------------------------- tools
def install_tools():
    cache = os.path.join(LAB, "cache")
    os.makedirs(cache, exist_ok=True)
    for v in VERSIONS:
        venv = os.path.join(LAB, "tools", v)
        if os.path.exists(os.path.join(venv, "bin", "uv")):
            continue
        if not any(f.startswith("uv-%s-" % v) for f in os.listdir(cache)):
            sh(sys.executable, "-m", "pip", "download", "-q", "--no-deps",
               "--only-binary=:all:", "uv==" + v, "-d", cache)
        sh(sys.executable, "-m", "venv", venv)
        whl = [f for f in os.listdir(cache) if f.startswith("uv-%s-" % v)][0]
        sh(os.path.join(venv, "bin", "pip"), "install", "-q", "--no-index",
           os.path.join(cache, whl))


# ---------------------------------------------------------------- interpreters
def site_packages(prefix):
    return os.path.join(prefix, "lib", PYVER, "site-packages")


def build_envs():
    os.makedirs(ENVS, exist_ok=True)
    for kind in ("debian", "usrlocal", "conda"):
        dst = os.path.join(ENVS, kind)
        if os.path.exists(dst):
            continue
        # A trimmed copy: the interpreter and stdlib, no third-party packages, no test suite.
        shutil.copytree(BASE, dst, symlinks=True, ignore=shutil.ignore_patterns(
            "site-packages", "test", "__pycache__", "idlelib", "tkinter", "share"))
        os.makedirs(site_packages(dst))
        if kind == "debian":
            with open(os.path.join(dst, "lib", PYVER, "EXTERNALLY-MANAGED"), "w") as f:
                f.write("[externally-managed]\nError=To install Python packages system-wide, "
                        "try apt install python3-xyz (measure-uv Debian-like marker)\n")
        if kind == "conda":
            os.makedirs(os.path.join(dst, "conda-meta"))
            with open(os.path.join(dst, "conda-meta", "history"), "w") as f:
                f.write("==> 2024-01-01 00:00:00 <==\n")
    venv = os.path.join(ENVS, "venv")
    if not os.path.exists(venv):
        sh(os.path.join(ENVS, "usrlocal", "bin", "python3"), "-m", "venv", "--without-pip", venv)


# ---------------------------------------------------------------- wheels and indexes
def make_wheel(version):
    name = "tinypkg-%s-py3-none-any.whl" % version
    path = os.path.join(WHEELS, name)
    if os.path.exists(path):
        return path
    files = {
        "tinypkg/__init__.py": "VERSION = %r\n" % version,
        "tinypkg-%s.dist-info/METADATA" % version:
            "Metadata-Version: 2.1\nName: tinypkg\nVersion: %s\n" % version,
        "tinypkg-%s.dist-info/WHEEL" % version:
            "Wheel-Version: 1.0\nGenerator: measure-uv\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for n, content in files.items():
            data = content.encode()
            z.writestr(n, data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append("%s,sha256=%s,%d" % (n, digest, len(data)))
        rec = "tinypkg-%s.dist-info/RECORD" % version
        record.append(rec + ",,")
        z.writestr(rec, "\n".join(record) + "\n")
    os.makedirs(WHEELS, exist_ok=True)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return path


def build_indexes():
    w1, w2 = make_wheel("1.0"), make_wheel("2.0")
    layout = {"low": [w1], "high": [w1, w2], "auth": [w1, w2]}
    for idx, wheels in layout.items():
        d = os.path.join(WWW, idx, "simple", "tinypkg")
        os.makedirs(d, exist_ok=True)
        links = []
        for w in wheels:
            base = os.path.basename(w)
            shutil.copy(w, os.path.join(d, base))
            digest = hashlib.sha256(open(w, "rb").read()).hexdigest()
            links.append('<a href="%s#sha256=%s">%s</a><br/>' % (base, digest, base))
        with open(os.path.join(d, "index.html"), "w") as f:
            f.write("<!DOCTYPE html><html><body>%s</body></html>\n" % "".join(links))
        with open(os.path.join(WWW, idx, "simple", "index.html"), "w") as f:
            f.write('<!DOCTYPE html><html><body><a href="tinypkg/">tinypkg</a></body></html>\n')


class Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *a, **kw):
        super().__init__(*a, directory=WWW, **kw)

    def log_message(self, *a):
        pass

    def do_GET(self):
        auth = self.headers.get("Authorization")
        if self.path.startswith("/auth/"):
            AUTH_LOG.append((self.path, auth))
            if not auth:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="measure"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        super().do_GET()


def start_servers():
    global HTTP_PORT, HTTPS_PORT
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    HTTP_PORT = httpd.server_address[1]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    cert = os.path.join(LAB, "selfsigned.pem")
    key = os.path.join(LAB, "selfsigned.key")
    if not os.path.exists(cert):
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30",
           "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
           "-keyout", key, "-out", cert, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    httpsd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpsd.socket = ctx.wrap_socket(httpsd.socket, server_side=True)
    HTTPS_PORT = httpsd.server_address[1]
    threading.Thread(target=httpsd.serve_forever, daemon=True).start()


def url(idx, scheme="http"):
    port = HTTP_PORT if scheme == "http" else HTTPS_PORT
    return "%s://127.0.0.1:%d/%s/simple" % (scheme, port, idx)


# ---------------------------------------------------------------- one run
HOST_SITES = ["/usr/local/lib/%s/dist-packages" % PYVER, "/usr/lib/python3/dist-packages",
              site_packages(BASE), "/usr/local/lib/%s/site-packages" % PYVER]


def landing_sites(run_dir):
    sites = {k: site_packages(os.path.join(ENVS, k)) for k in ("debian", "usrlocal", "conda", "venv")}
    sites["cwd/.venv"] = site_packages(os.path.join(run_dir, "cwd", ".venv"))
    sites["project/.venv"] = site_packages(os.path.join(run_dir, "cwd", "proj", ".venv"))
    sites["home/.local"] = os.path.join(run_dir, "home", ".local", "lib", PYVER, "site-packages")
    return sites


def clean_envs():
    for k in ("debian", "usrlocal", "conda", "venv"):
        sp = site_packages(os.path.join(ENVS, k))
        for n in os.listdir(sp):
            if n.startswith("tinypkg"):
                p = os.path.join(sp, n)
                shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)


def subst(text, run_dir):
    """Placeholders in a case: @LAB@, @ENVS@, @RUN@, @HOME@, @CWD@, @HTTP@, @HTTPS@, @WHEELS@."""
    return (text.replace("@HOME@", os.path.join(run_dir, "home"))
            .replace("@CWD@", os.path.join(run_dir, "cwd"))
            .replace("@RUN@", run_dir)
            .replace("@ENVS@", ENVS)
            .replace("@WHEELS@", WHEELS)
            .replace("@HTTPS@", "https://127.0.0.1:%d" % HTTPS_PORT)
            .replace("@HTTP@", "http://127.0.0.1:%d" % HTTP_PORT)
            .replace("@LAB@", LAB))


def unsubst(text, run_dir):
    """The inverse of subst for recorded text (stderr), so the JSON holds no lab path or port."""
    for real, ph in ((os.path.join(run_dir, "home"), "@HOME@"), (os.path.join(run_dir, "cwd"), "@CWD@"),
                     (run_dir, "@RUN@"), (ENVS, "@ENVS@"), (WHEELS, "@WHEELS@"),
                     ("https://127.0.0.1:%d" % HTTPS_PORT, "@HTTPS@"),
                     ("http://127.0.0.1:%d" % HTTP_PORT, "@HTTP@"),
                     ("127.0.0.1:%d" % HTTPS_PORT, "127.0.0.1:@HTTPS_PORT@"),
                     ("127.0.0.1:%d" % HTTP_PORT, "127.0.0.1:@HTTP_PORT@"), (LAB, "@LAB@")):
        text = text.replace(real, ph)
    return text


def run_case(version, case, n):
    """case: dict(env=[(k, v)], files={path: text}, cwd='@CWD@/sub', args=[...], python='usrlocal')."""
    run_dir = os.path.join(LAB, "runs", "%s-%d" % (version, n))
    shutil.rmtree(run_dir, ignore_errors=True)
    os.makedirs(os.path.join(run_dir, "home"))
    os.makedirs(os.path.join(run_dir, "cwd"))
    os.makedirs(os.path.join(run_dir, "etc-uv"))
    for p, text in case.get("files", {}).items():
        real = subst(p, run_dir)
        if real.startswith("/etc/uv/"):
            real = os.path.join(run_dir, "etc-uv", real[len("/etc/uv/"):])
        os.makedirs(os.path.dirname(real), exist_ok=True)
        with open(real, "w") as f:
            f.write(subst(text, run_dir))
    if case.get("pre_venv"):
        sh(os.path.join(ENVS, "usrlocal", "bin", "python3"), "-m", "venv", "--without-pip",
           subst(case["pre_venv"], run_dir))
    python = case.get("python", "usrlocal")
    # PATH holds only the environment under test: the host's own interpreters must stay unseen
    # (a `--system` run with the host's python on PATH would install into the host).
    path_dirs = [os.path.join(ENVS, python, "bin")] if python else []
    env = [("HOME", os.path.join(run_dir, "home")),
           ("PATH", ":".join(path_dirs + [os.path.join(LAB, "empty-bin")])),
           ("UV_PYTHON_DOWNLOADS", "never"),
           ("NO_COLOR", "1")]
    env += [(k, subst(v, run_dir)) for k, v in case.get("env", [])]
    cwd = subst(case.get("cwd", "@CWD@"), run_dir)
    os.makedirs(cwd, exist_ok=True)
    uv = os.path.join(LAB, "tools", version, "bin", "uv")
    args = [subst(a, run_dir) for a in case["args"]]
    argv = ["unshare", "-m", "--propagation", "private", "/bin/sh", "-c",
            'mount --bind "$0" /etc/uv && exec "$@"', os.path.join(run_dir, "etc-uv"),
            "env", "-i"] + ["%s=%s" % kv for kv in env] + [uv] + args
    del AUTH_LOG[:]
    t0 = time.time()
    try:
        p = subprocess.run(argv, cwd=cwd, env={}, capture_output=True, text=True, timeout=120)
        rc, err = p.returncode, p.stderr + p.stdout
    except subprocess.TimeoutExpired as e:
        rc, err = "timeout", str(e)
    landed, versions = [], []
    for name, sp in landing_sites(run_dir).items():
        if os.path.isdir(sp):
            for d in os.listdir(sp):
                if d.startswith("tinypkg-") and d.endswith(".dist-info"):
                    landed.append(name)
                    versions.append(d[len("tinypkg-"):-len(".dist-info")])
    auth = sorted({base64.b64decode(a.split(" ", 1)[1]).decode() if a and a.startswith("Basic ") else a
                   for _, a in AUTH_LOG if a})
    clean_envs()
    leaked = [p for p in HOST_SITES if os.path.isdir(p) and any(n.startswith("tinypkg") for n in os.listdir(p))]
    if leaked:
        sys.exit("case %r installed into the host's interpreter (%s): remove it and fix the case" % (case, leaked))
    shutil.rmtree(run_dir, ignore_errors=True)
    lines = [l for l in unsubst(err, run_dir).splitlines() if l.strip()]
    error_lines = [l.strip() for l in lines if "error" in l.lower() or "warning" in l.lower()
                   or l.strip().startswith(("×", "╰", "│", "hint", "Caused by"))]
    outcome = {
        "exit_code": rc,
        "landed": landed,
        "installed_version": versions[0] if versions else None,
        "auth_seen": auth,
        "messages": error_lines[:12],
        "seconds": round(time.time() - t0, 2),
    }
    outcome["class"] = classify(outcome)
    return outcome


ERROR_CLASSES = [
    # (class, substrings of uv's error text across the measured versions)
    ("invalid-value", ["invalid value '"]),
    ("cli-usage", ["the following required arguments were not provided", "unexpected argument"]),
    ("config-parse", ["Failed to parse"]),
    ("externally-managed", ["is externally managed"]),
    ("no-venv", ["Failed to locate a virtualenv or Conda environment", "No virtual environment found"]),
    ("no-system-python", ["No system environment found", "No system Python installation found"]),
    ("fetch-failed", ["error sending request for url", "Request failed after", "Failed to fetch"]),
    ("no-solution", ["No solution found when resolving dependencies"]),
]


def classify(outcome):
    """The outcome's class: `installed`, or the first error class whose text uv printed."""
    if outcome["exit_code"] == 0:
        return "installed" if outcome["landed"] else "nothing-installed"
    # Warnings (e.g. an unparsable pyproject.toml that uv skips) are not the error.
    text = "\n".join(l for l in outcome["messages"] if not l.startswith("warning"))
    for cls, needles in ERROR_CLASSES:
        if any(n in text for n in needles):
            return cls
    return "error-other"


# ---------------------------------------------------------------- the cases
def pip_install(*extra):
    return ["pip", "install", "tinypkg", "--no-index", "--find-links", "@WHEELS@"] + list(extra)


def toml_pip(body):
    return "[pip]\n" + body + "\n"


BOOL_VALUES = ["1", "true", "TRUE", "True", "yes", "y", "on", "t", "0", "false", "FALSE", "no",
               "off", "n", "f", "", "2", "-1", "garbage", " 1", "1 "]


def cases(version):
    v = vkey(version)
    out = {}

    # A. Boolean parsing of the two switches.
    for val in BOOL_VALUES:
        out["bool:UV_SYSTEM_PYTHON=%r" % val] = dict(
            group="bool", python="usrlocal", env=[("UV_SYSTEM_PYTHON", val)], args=pip_install())
        out["bool:UV_BREAK_SYSTEM_PACKAGES=%r" % val] = dict(
            group="bool", python="debian", env=[("UV_BREAK_SYSTEM_PACKAGES", val)],
            args=pip_install("--system"))

    # B. Where an install lands, per environment and switch.
    envs = {
        "debian": dict(python="debian"),
        "usrlocal": dict(python="usrlocal"),
        "conda": dict(python="conda"),
        "conda+CONDA_PREFIX": dict(python="conda", env=[("CONDA_PREFIX", "@ENVS@/conda")]),
        "venv-active": dict(python="venv", env=[("VIRTUAL_ENV", "@ENVS@/venv")]),
        "venv-on-PATH": dict(python="venv"),
        "debian+cwd/.venv": dict(python="debian", pre_venv=True),
        "debian+VIRTUAL_ENV": dict(python="debian", env=[("VIRTUAL_ENV", "@ENVS@/venv")]),
    }
    switches = {
        "none": ([], []),
        "UV_SYSTEM_PYTHON=1": ([("UV_SYSTEM_PYTHON", "1")], []),
        "UV_SYSTEM_PYTHON=1+UV_BREAK_SYSTEM_PACKAGES=1":
            ([("UV_SYSTEM_PYTHON", "1"), ("UV_BREAK_SYSTEM_PACKAGES", "1")], []),
        "UV_BREAK_SYSTEM_PACKAGES=1": ([("UV_BREAK_SYSTEM_PACKAGES", "1")], []),
        "--system": ([], ["--system"]),
        "--system --break-system-packages": ([], ["--system", "--break-system-packages"]),
        "UV_SYSTEM_PYTHON=0": ([("UV_SYSTEM_PYTHON", "0")], []),
    }
    for ename, e in envs.items():
        for sname, (senv, sargs) in switches.items():
            c = dict(group="landing", python=e["python"], env=e.get("env", []) + senv,
                     args=pip_install(*sargs))
            if e.get("pre_venv"):
                c["pre_venv"] = "@CWD@/.venv"
            out["land:%s:%s" % (ename, sname)] = c

    # C. Config files: where `system`/`break-system-packages` are read, and precedence.
    sys_true, sys_false = toml_pip("system = true"), toml_pip("system = false")
    cfg = {
        "cwd uv.toml [pip] system": {"@CWD@/uv.toml": sys_true},
        "cwd uv.toml top-level system": {"@CWD@/uv.toml": "system = true\n"},
        "cwd pyproject [tool.uv.pip] system":
            {"@CWD@/pyproject.toml": "[project]\nname='p'\nversion='0'\n\n[tool.uv.pip]\nsystem = true\n"},
        "cwd pyproject [tool.uv] system":
            {"@CWD@/pyproject.toml": "[project]\nname='p'\nversion='0'\n\n[tool.uv]\nsystem = true\n"},
        "parent uv.toml [pip] system (cwd=sub)": {"@CWD@/uv.toml": sys_true, "@CWD@/sub/.keep": ""},
        "parent uv.toml, cwd pyproject without tool.uv":
            {"@CWD@/uv.toml": sys_true, "@CWD@/sub/pyproject.toml": "[project]\nname='p'\nversion='0'\n"},
        "parent uv.toml, cwd pyproject with [tool.uv]":
            {"@CWD@/uv.toml": sys_true,
             "@CWD@/sub/pyproject.toml": "[project]\nname='p'\nversion='0'\n[tool.uv]\n"},
        "cwd uv.toml and pyproject: uv.toml false, pyproject true":
            {"@CWD@/uv.toml": sys_false,
             "@CWD@/pyproject.toml": "[project]\nname='p'\nversion='0'\n[tool.uv.pip]\nsystem = true\n"},
        "cwd uv.toml and pyproject: uv.toml true, pyproject false":
            {"@CWD@/uv.toml": sys_true,
             "@CWD@/pyproject.toml": "[project]\nname='p'\nversion='0'\n[tool.uv.pip]\nsystem = false\n"},
        "user ~/.config/uv/uv.toml": {"@HOME@/.config/uv/uv.toml": sys_true},
        "user ~/.config/uv/uv.toml top-level system": {"@HOME@/.config/uv/uv.toml": "system = true\n"},
        "user $XDG_CONFIG_HOME/uv/uv.toml": {"@RUN@/xdgh/uv/uv.toml": sys_true},
        "user ~/.config with XDG_CONFIG_HOME elsewhere": {"@HOME@/.config/uv/uv.toml": sys_true},
        "system /etc/uv/uv.toml": {"/etc/uv/uv.toml": sys_true},
        "system $XDG_CONFIG_DIRS/uv/uv.toml": {"@RUN@/xdgd/uv/uv.toml": sys_true},
        "system XDG_CONFIG_DIRS set, /etc/uv has it": {"/etc/uv/uv.toml": sys_true},
        "UV_CONFIG_FILE": {"@RUN@/cfg/any-name.toml": sys_true},
        "UV_CONFIG_FILE=pyproject-shaped": {"@RUN@/cfg/pyproject.toml": "[tool.uv.pip]\nsystem = true\n"},
        "UV_CONFIG_FILE false hides user true":
            {"@RUN@/cfg/c.toml": sys_false, "@HOME@/.config/uv/uv.toml": sys_true},
        "UV_CONFIG_FILE (no system key) + user true":
            {"@RUN@/cfg/c.toml": toml_pip("index-strategy = \"first-index\""),
             "@HOME@/.config/uv/uv.toml": sys_true},
        "UV_CONFIG_FILE (no system key) + project true":
            {"@RUN@/cfg/c.toml": toml_pip("index-strategy = \"first-index\""), "@CWD@/uv.toml": sys_true},
        "UV_CONFIG_FILE (no system key) + /etc true":
            {"@RUN@/cfg/c.toml": toml_pip("index-strategy = \"first-index\""), "/etc/uv/uv.toml": sys_true},
        "UV_NO_CONFIG=1 + project true": {"@CWD@/uv.toml": sys_true},
        "UV_NO_CONFIG=1 + user true": {"@HOME@/.config/uv/uv.toml": sys_true},
        "UV_NO_CONFIG=1 + /etc true": {"/etc/uv/uv.toml": sys_true},
        "UV_NO_CONFIG=0 + project true": {"@CWD@/uv.toml": sys_true},
        "--no-config + user true": {"@HOME@/.config/uv/uv.toml": sys_true},
        "user true, project false": {"@HOME@/.config/uv/uv.toml": sys_true, "@CWD@/uv.toml": sys_false},
        "user false, project true": {"@HOME@/.config/uv/uv.toml": sys_false, "@CWD@/uv.toml": sys_true},
        "/etc true, user false": {"/etc/uv/uv.toml": sys_true, "@HOME@/.config/uv/uv.toml": sys_false},
        "/etc false, user true": {"/etc/uv/uv.toml": sys_false, "@HOME@/.config/uv/uv.toml": sys_true},
        "/etc true, project false": {"/etc/uv/uv.toml": sys_true, "@CWD@/uv.toml": sys_false},
        "env UV_SYSTEM_PYTHON=0 + project true": {"@CWD@/uv.toml": sys_true},
        "env UV_SYSTEM_PYTHON=1 + project false": {"@CWD@/uv.toml": sys_false},
        "project invalid toml": {"@CWD@/uv.toml": "[pip\nsystem = true\n"},
        "user invalid toml": {"@HOME@/.config/uv/uv.toml": "[pip\nsystem = true\n"},
        "user unknown key": {"@HOME@/.config/uv/uv.toml": toml_pip("system = true\nnot-a-key = 1")},
        "user system = \"yes\" (string)": {"@HOME@/.config/uv/uv.toml": toml_pip('system = "yes"')},
    }
    cfg_env = {
        "user $XDG_CONFIG_HOME/uv/uv.toml": [("XDG_CONFIG_HOME", "@RUN@/xdgh")],
        "user ~/.config with XDG_CONFIG_HOME elsewhere": [("XDG_CONFIG_HOME", "@RUN@/xdgh")],
        "system $XDG_CONFIG_DIRS/uv/uv.toml": [("XDG_CONFIG_DIRS", "@RUN@/xdgd")],
        "system XDG_CONFIG_DIRS set, /etc/uv has it": [("XDG_CONFIG_DIRS", "@RUN@/xdgd")],
        "UV_CONFIG_FILE": [("UV_CONFIG_FILE", "@RUN@/cfg/any-name.toml")],
        "UV_CONFIG_FILE=pyproject-shaped": [("UV_CONFIG_FILE", "@RUN@/cfg/pyproject.toml")],
        "UV_CONFIG_FILE false hides user true": [("UV_CONFIG_FILE", "@RUN@/cfg/c.toml")],
        "UV_CONFIG_FILE (no system key) + user true": [("UV_CONFIG_FILE", "@RUN@/cfg/c.toml")],
        "UV_CONFIG_FILE (no system key) + project true": [("UV_CONFIG_FILE", "@RUN@/cfg/c.toml")],
        "UV_CONFIG_FILE (no system key) + /etc true": [("UV_CONFIG_FILE", "@RUN@/cfg/c.toml")],
        "UV_NO_CONFIG=1 + project true": [("UV_NO_CONFIG", "1")],
        "UV_NO_CONFIG=1 + user true": [("UV_NO_CONFIG", "1")],
        "UV_NO_CONFIG=1 + /etc true": [("UV_NO_CONFIG", "1")],
        "UV_NO_CONFIG=0 + project true": [("UV_NO_CONFIG", "0")],
        "env UV_SYSTEM_PYTHON=0 + project true": [("UV_SYSTEM_PYTHON", "0")],
        "env UV_SYSTEM_PYTHON=1 + project false": [("UV_SYSTEM_PYTHON", "1")],
    }
    for name, files in cfg.items():
        c = dict(group="config", python="usrlocal", files=files, env=cfg_env.get(name, []),
                 args=pip_install(*(["--no-config"] if name.startswith("--no-config") else [])))
        if "(cwd=sub)" in name or name.startswith("parent uv.toml"):
            c["cwd"] = "@CWD@/sub"
        out["cfg:system:" + name] = c

    # break-system-packages in files (on the Debian-like interpreter, with --system).
    bsp = toml_pip("break-system-packages = true")
    for name, files, env in [
        ("cwd uv.toml [pip]", {"@CWD@/uv.toml": bsp}, []),
        ("cwd uv.toml top-level", {"@CWD@/uv.toml": "break-system-packages = true\n"}, []),
        ("user ~/.config/uv/uv.toml [pip]", {"@HOME@/.config/uv/uv.toml": bsp}, []),
        ("/etc/uv/uv.toml [pip]", {"/etc/uv/uv.toml": bsp}, []),
        ("pyproject [tool.uv.pip]",
         {"@CWD@/pyproject.toml": "[project]\nname='p'\nversion='0'\n[tool.uv.pip]\nbreak-system-packages = true\n"}, []),
        ("user true + env UV_BREAK_SYSTEM_PACKAGES=0", {"@HOME@/.config/uv/uv.toml": bsp},
         [("UV_BREAK_SYSTEM_PACKAGES", "0")]),
        ("system+bsp both in /etc/uv/uv.toml, no flag",
         {"/etc/uv/uv.toml": toml_pip("system = true\nbreak-system-packages = true")}, []),
    ]:
        args = pip_install() if "no flag" in name else pip_install("--system")
        out["cfg:bsp:" + name] = dict(group="config", python="debian", files=files, env=env, args=args)

    # D. Index strategy and index variables (installed into the active venv).
    venv_env = [("VIRTUAL_ENV", "@ENVS@/venv")]
    idx = lambda *a: ["pip", "install", "--python", "@ENVS@/venv/bin/python"] + list(a)
    low, high = "@HTTP@/low/simple", "@HTTP@/high/simple"
    strategies = [None, "first-index", "unsafe-first-match", "unsafe-best-match", "garbage"]
    for req in ["tinypkg", "tinypkg>=2"]:
        for strat in strategies:
            for via in (["env", "cli", "file"] if strat else ["none"]):
                env = list(venv_env) + [("UV_INDEX_URL", high), ("UV_EXTRA_INDEX_URL", low)]
                files, extra = {}, []
                if via == "env":
                    env.append(("UV_INDEX_STRATEGY", strat))
                elif via == "cli":
                    extra = ["--index-strategy", strat]
                elif via == "file":
                    files = {"@CWD@/uv.toml": toml_pip('index-strategy = "%s"' % strat)}
                out["index:extra=low,default=high:%s:%s:%s" % (req, strat, via)] = dict(
                    group="index", python="venv", env=env, files=files, args=idx(req, *extra))
    out["index:extra=high,default=low:tinypkg:None:none"] = dict(
        group="index", python="venv", env=venv_env + [("UV_INDEX_URL", low), ("UV_EXTRA_INDEX_URL", high)],
        args=idx("tinypkg"))
    out["index:top-level index-strategy in uv.toml"] = dict(
        group="index", python="venv", env=venv_env + [("UV_INDEX_URL", high), ("UV_EXTRA_INDEX_URL", low)],
        files={"@CWD@/uv.toml": 'index-strategy = "unsafe-best-match"\n'}, args=idx("tinypkg"))
    out["index:[pip] extra-index-url in uv.toml, index-url env"] = dict(
        group="index", python="venv", env=venv_env + [("UV_INDEX_URL", high)],
        files={"@CWD@/uv.toml": toml_pip('extra-index-url = ["%s"]' % low)}, args=idx("tinypkg"))
    out["index:UV_EXTRA_INDEX_URL two urls space-separated"] = dict(
        group="index", python="venv",
        env=venv_env + [("UV_INDEX_URL", "@HTTP@/nowhere/simple"), ("UV_EXTRA_INDEX_URL", low + " " + high),
                        ("UV_INDEX_STRATEGY", "unsafe-best-match")], args=idx("tinypkg"))
    if v >= (0, 4, 23):
        out["index:UV_INDEX name=url + UV_DEFAULT_INDEX"] = dict(
            group="index", python="venv",
            env=venv_env + [("UV_DEFAULT_INDEX", high), ("UV_INDEX", "lowidx=" + low)], args=idx("tinypkg"))
        out["index:UV_INDEX bare url + UV_DEFAULT_INDEX"] = dict(
            group="index", python="venv",
            env=venv_env + [("UV_DEFAULT_INDEX", high), ("UV_INDEX", low)], args=idx("tinypkg"))
        out["index:UV_INDEX two entries space-separated, first has no tinypkg"] = dict(
            group="index", python="venv",
            env=venv_env + [("UV_DEFAULT_INDEX", "@HTTP@/nowhere/simple"),
                            ("UV_INDEX", "a=@HTTP@/nowhere2/simple b=" + low)], args=idx("tinypkg"))
        out["index:[[index]] in uv.toml + UV_DEFAULT_INDEX"] = dict(
            group="index", python="venv", env=venv_env + [("UV_DEFAULT_INDEX", high)],
            files={"@CWD@/uv.toml": '[[index]]\nname = "lowidx"\nurl = "%s"\n' % low}, args=idx("tinypkg"))
        out["index:UV_INDEX + UV_INDEX_URL both"] = dict(
            group="index", python="venv",
            env=venv_env + [("UV_INDEX_URL", high), ("UV_INDEX", "lowidx=" + low)], args=idx("tinypkg"))

    # E. Credentials and insecure transport.
    auth = "@HTTP@/auth/simple"
    out["cred:UV_INDEX_URL with user:pass in url"] = dict(
        group="cred", python="venv",
        env=venv_env + [("UV_INDEX_URL", "http://u1:p1@127.0.0.1:%d/auth/simple" % HTTP_PORT)],
        args=idx("tinypkg"))
    out["cred:UV_EXTRA_INDEX_URL with user:pass in url"] = dict(
        group="cred", python="venv",
        env=venv_env + [("UV_INDEX_URL", "@HTTP@/nowhere/simple"),
                        ("UV_EXTRA_INDEX_URL", "http://u2:p2@127.0.0.1:%d/auth/simple" % HTTP_PORT)],
        args=idx("tinypkg"))
    out["cred:no credentials"] = dict(group="cred", python="venv", env=venv_env + [("UV_INDEX_URL", auth)],
                                      args=idx("tinypkg"))
    if v >= (0, 4, 23):
        for name, var in [("private", "PRIVATE"), ("my-idx", "MY_IDX"), ("my.idx", "MY_IDX"),
                          ("MyIdx", "MYIDX"), ("my-idx", "MY-IDX"), ("my_idx", "MY_IDX")]:
            out["cred:UV_INDEX %s + UV_INDEX_%s_USERNAME/PASSWORD" % (name, var)] = dict(
                group="cred", python="venv",
                env=venv_env + [("UV_DEFAULT_INDEX", "@HTTP@/nowhere/simple"),
                                ("UV_INDEX", "%s=%s" % (name, auth)),
                                ("UV_INDEX_%s_USERNAME" % var, "envuser"),
                                ("UV_INDEX_%s_PASSWORD" % var, "envpass")],
                args=idx("tinypkg"))
        out["cred:[[index]] name=corp in uv.toml + UV_INDEX_CORP_PASSWORD"] = dict(
            group="cred", python="venv",
            env=venv_env + [("UV_DEFAULT_INDEX", "@HTTP@/nowhere/simple"), ("UV_INDEX_CORP_USERNAME", "envuser"), ("UV_INDEX_CORP_PASSWORD", "envpass")],
            files={"@CWD@/uv.toml": '[[index]]\nname = "corp"\nurl = "%s"\n' % auth}, args=idx("tinypkg"))
    tls = "@HTTPS@/high/simple"
    out["tls:self-signed https index"] = dict(group="tls", python="venv", env=venv_env + [("UV_INDEX_URL", tls)],
                                             args=idx("tinypkg"))
    for name, env, files in [
        ("UV_INSECURE_HOST=127.0.0.1", [("UV_INSECURE_HOST", "127.0.0.1")], {}),
        ("UV_INSECURE_HOST=127.0.0.1:port", [("UV_INSECURE_HOST", "127.0.0.1:%d" % HTTPS_PORT)], {}),
        ("UV_INSECURE_HOST=other.example 127.0.0.1", [("UV_INSECURE_HOST", "other.example 127.0.0.1")], {}),
        ("uv.toml [pip] allow-insecure-host", [], {"@CWD@/uv.toml": toml_pip('allow-insecure-host = ["127.0.0.1"]')}),
        ("uv.toml top-level allow-insecure-host", [], {"@CWD@/uv.toml": 'allow-insecure-host = ["127.0.0.1"]\n'}),
        ("UV_NATIVE_TLS=1", [("UV_NATIVE_TLS", "1")], {}),
    ]:
        out["tls:" + name] = dict(group="tls", python="venv", env=venv_env + [("UV_INDEX_URL", tls)] + env,
                                  files=files, args=idx("tinypkg"))
    out["tls:plain http 127.0.0.1 index"] = dict(group="tls", python="venv",
                                                 env=venv_env + [("UV_INDEX_URL", high)], args=idx("tinypkg"))

    # F. Projects: uv sync and UV_PROJECT_ENVIRONMENT (uv >= 0.4; `uv sync` was preview before).
    if v >= (0, 4, 0):
        proj = {"@CWD@/proj/pyproject.toml":
                "[project]\nname = \"proj\"\nversion = \"0.1\"\nrequires-python = \">=3.11\"\n"
                "dependencies = [\"tinypkg\"]\n"}
        sync = ["sync", "--no-index", "--find-links", "@WHEELS@"] if v >= (0, 4, 0) else []
        for name, env, python in [
            ("default", [], "usrlocal"),
            ("UV_PROJECT_ENVIRONMENT=venv", [("UV_PROJECT_ENVIRONMENT", "@ENVS@/venv")], "usrlocal"),
            ("UV_PROJECT_ENVIRONMENT=usrlocal prefix", [("UV_PROJECT_ENVIRONMENT", "@ENVS@/usrlocal")], "usrlocal"),
            ("UV_PROJECT_ENVIRONMENT=debian prefix", [("UV_PROJECT_ENVIRONMENT", "@ENVS@/debian")], "debian"),
            ("UV_PROJECT_ENVIRONMENT=debian prefix + UV_BREAK_SYSTEM_PACKAGES=1",
             [("UV_PROJECT_ENVIRONMENT", "@ENVS@/debian"), ("UV_BREAK_SYSTEM_PACKAGES", "1")], "debian"),
            ("UV_SYSTEM_PYTHON=1 (sync ignores it?)", [("UV_SYSTEM_PYTHON", "1")], "usrlocal"),
            ("VIRTUAL_ENV=venv (sync ignores it?)", [("VIRTUAL_ENV", "@ENVS@/venv")], "usrlocal"),
        ]:
            out["project:sync:" + name] = dict(group="project", python=python, env=env, files=proj,
                                               cwd="@CWD@/proj", args=sync)
    return out


def probe_schema(version):
    """The keys uv accepts at the top level and in `[pip]` of a uv.toml, as its own error lists them."""
    import re
    schema = {}
    for table, text in (("top_level", "zzz-unknown = 1\n"), ("pip", "[pip]\nzzz-unknown = 1\n")):
        d = os.path.join(LAB, "runs", "schema")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        with open(os.path.join(d, "uv.toml"), "w") as f:
            f.write(text)
        p = subprocess.run([os.path.join(LAB, "tools", version, "bin", "uv"), "pip", "install", "x",
                            "--no-index", "--python", os.path.join(ENVS, "venv", "bin", "python")],
                           cwd=d, env={"HOME": d, "PATH": os.path.join(LAB, "empty-bin"), "NO_COLOR": "1"},
                           capture_output=True, text=True, timeout=60)
        flat = " ".join(l.strip() for l in p.stderr.splitlines())
        m = re.search(r"expected one of (.*)", flat)
        schema[table] = re.findall(r"`([a-z0-9-]+)`", m.group(1)) if m else None
        shutil.rmtree(d, ignore_errors=True)
    return schema


def main():
    if os.geteuid() != 0:
        sys.exit("measure-uv.py needs root (unshare -m and a bind mount over /etc/uv)")
    os.makedirs(os.path.join(LAB, "empty-bin"), exist_ok=True)
    install_tools()
    build_envs()
    build_indexes()
    start_servers()
    created_etc_uv = not os.path.exists("/etc/uv")
    if created_etc_uv:
        os.makedirs("/etc/uv")
    result = {
        "description": "Empirical uv behaviour: each case ran `uv` from a released wheel with `env -i` "
                       "(variables in the listed order, after HOME, PATH, UV_PYTHON_DOWNLOADS=never, "
                       "NO_COLOR=1), a fresh HOME and cwd, and its own /etc/uv (private mount namespace). "
                       "The outcome is where tinypkg landed.",
        "python": "CPython %s, trimmed copies at @ENVS@/<kind>" % sys.version.split()[0],
        "environments": {
            "debian": "copy with <stdlib>/EXTERNALLY-MANAGED (a PEP 668 marker)",
            "usrlocal": "copy, no marker (like python:3.x images' /usr/local)",
            "conda": "copy with conda-meta/history, no pyvenv.cfg",
            "venv": "python -m venv of the usrlocal copy",
        },
        "legend": {
            "landed": "names of the site-packages that received tinypkg: debian, usrlocal, conda, venv "
                      "(@ENVS@/venv), cwd/.venv, project/.venv, home/.local",
            "auth_seen": "user:password pairs the /auth index received (basic auth)",
            "placeholders": "@ENVS@ the environments, @CWD@ the run's cwd, @HOME@, @RUN@ the run dir, "
                            "@WHEELS@ the find-links dir, @HTTP@/@HTTPS@ the local index servers",
            "indexes": "low: tinypkg 1.0; high: tinypkg 1.0 and 2.0; auth: like high, 401 without credentials; "
                       "nowhere*: 404",
        },
        "versions": {},
    }
    total = 0
    t0 = time.time()
    try:
        for version in VERSIONS:
            vres = {}
            for n, (cid, case) in enumerate(cases(version).items()):
                outcome = run_case(version, case, n)
                rec_case = {k: case[k] for k in ("group", "python", "args") if k in case}
                rec_case["env_in_order"] = [[k, unsubst_static(v)] for k, v in case.get("env", [])]
                rec_case["files"] = {k: unsubst_static(t) for k, t in case.get("files", {}).items()}
                rec_case["cwd"] = case.get("cwd", "@CWD@")
                if case.get("pre_venv"):
                    rec_case["pre_venv"] = case["pre_venv"]
                vres[cid] = {"inputs": rec_case, "outcome": outcome}
                total += 1
            result["versions"][version] = {"uv_toml_keys": probe_schema(version), "cases": vres}
            print("uv %s: %d cases, %.0fs so far" % (version, len(vres), time.time() - t0), flush=True)
    finally:
        if created_etc_uv:
            os.rmdir("/etc/uv")
    result["run_count"] = total
    result["run_seconds"] = round(time.time() - t0)
    with open(OUT, "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
        f.write("\n")


def unsubst_static(text):
    for real, ph in (("https://127.0.0.1:%d" % HTTPS_PORT, "@HTTPS@"), ("http://127.0.0.1:%d" % HTTP_PORT, "@HTTP@"),
                     ("127.0.0.1:%d" % HTTPS_PORT, "127.0.0.1:@HTTPS_PORT@"),
                     ("127.0.0.1:%d" % HTTP_PORT, "127.0.0.1:@HTTP_PORT@")):
        text = text.replace(real, ph)
    return text


if __name__ == "__main__":
    main()
