#!/usr/bin/env python3
"""Measure poetry's real behaviour for imgaudit (POETRY-SEMANTICS.md, poetry-truth.json).

Rerunnable by hand, NOT run by CI. Needs: Linux, root (for `unshare -n`), `ip`, a CPython 3.11
to copy (the one running this script), and pip able to download poetry releases (the machine's
pip configuration decides the index; nothing here names one).

    sudo python3 measure-poetry.py LAB_DIR [OUT_JSON] [--versions 1.2.2,2.5.1] [--jobs 2]

What it does:
1. Builds a lab under LAB_DIR: a copy of this interpreter's prefix without its site-packages
   (only pip and setuptools kept), then per poetry version three "system" prefixes copied from
   it: `plain` (a /usr/local-like source build), `debian` (the same plus the PEP 668
   `EXTERNALLY-MANAGED` marker in its stdlib) and `conda` (plus `conda-meta/`, no pyvenv.cfg),
   and one extra venv `target-venv`.
2. Installs each poetry version with pip into its own venv (`tools/<version>`).
3. Runs every case of every version in a private network namespace (`unshare -n`, only the
   loopback up): nothing can reach a network, the only index is a local HTTP server on
   127.0.0.1 started by the worker (it records the Authorization header of every request).
   Each run: fresh HOME, `env -i` with the listed variables in order, its own project dir.
   The one package ever installed is `tinypkg`, a wheel built here.
4. Reads the outcome from where `tinypkg` landed (which site-packages), poetry's exit code and
   output, the files poetry wrote (auth.toml, config.toml) and the credentials the index saw.
   Then removes `tinypkg` again so the next run starts clean.

Topologies ("where poetry itself lives"):
- `system:<prefix>`: poetry importable from the prefix's own site-packages (a .pth file in the
  prefix's site-packages adds the poetry venv's site-packages, so sys.prefix is the system
  prefix, as after `pip install poetry` into it), launched by a script whose shebang is the
  prefix's python.
- `venv:<prefix>`: poetry in its own plain venv whose base interpreter is the prefix (as after
  `python -m venv /opt/poetry && /opt/poetry/bin/pip install poetry`, or pipx).
- `venv-marker:<prefix>`: the same venv with a `poetry_env` file in it (what the official
  installer leaves).
- `venv-datadir:<prefix>`: the same venv with POETRY_HOME set to its parent dir (the official
  installer's layout, `$POETRY_HOME/venv`).
"""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

DEFAULT_VERSIONS = ["1.2.2", "1.4.2", "1.5.1", "1.7.1", "1.8.5", "2.0.1", "2.1.4", "2.5.1"]
PY = "python3.11"
SITE = "lib/python3.11/site-packages"
MARKER_TEXT = (
    "[externally-managed]\n"
    "Error=To install Python packages system-wide, try apt install\n"
    " python3-xyz, where xyz is the package you are trying to\n"
    " install.\n"
)
TOOL_TIMEOUT = 180


# ----------------------------------------------------------------------------- lab building


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def build_base(lab: Path) -> Path:
    base = lab / "base"
    if (base / "bin" / PY).exists():
        return base
    src = Path(sys.base_prefix)
    (base / "bin").mkdir(parents=True)
    shutil.copy2(src / "bin" / PY, base / "bin" / PY)
    os.symlink(PY, base / "bin" / "python3")
    os.symlink("python3", base / "bin" / "python")
    for sub in ["include", "share"]:
        if (src / sub).exists():
            shutil.copytree(src / sub, base / sub, symlinks=True)
    ignore = shutil.ignore_patterns("site-packages", "test", "__pycache__")
    shutil.copytree(src / "lib", base / "lib", symlinks=True, ignore=ignore)
    site = base / SITE
    site.mkdir(parents=True, exist_ok=True)
    src_site = src / SITE
    for entry in src_site.iterdir():
        name = entry.name.lower()
        if name.startswith(("pip", "setuptools", "_distutils_hack", "distutils-precedence")):
            if entry.is_dir():
                shutil.copytree(entry, site / entry.name, symlinks=True)
            else:
                shutil.copy2(entry, site / entry.name)
    write_pip_scripts(base)
    return base


def write_pip_scripts(prefix: Path) -> None:
    # Distro pythons ship bin/pip; poetry 1.x prefers `python -m pip` when bin/pip exists.
    for name in ["pip", "pip3"]:
        script = prefix / "bin" / name
        script.write_text(
            f"#!{prefix}/bin/{PY}\nimport sys\nfrom pip._internal.cli.main import main\n"
            "sys.exit(main())\n"
        )
        script.chmod(0o755)


def copy_prefix(base: Path, dest: Path) -> None:
    """Hard-link copy of the stdlib, real copies of what runs write to (site-packages, bin)."""
    if dest.exists():
        shutil.rmtree(dest)
    run(["cp", "-al", str(base), str(dest)])
    for sub in [SITE, "bin"]:
        shutil.rmtree(dest / sub)
        shutil.copytree(base / sub, dest / sub, symlinks=True)
    write_pip_scripts(dest)


def build_wheel(lab: Path) -> Path:
    out = lab / "wheels"
    out.mkdir(exist_ok=True)
    wheel = out / "tinypkg-1.0-py3-none-any.whl"
    if wheel.exists():
        return wheel
    files = {
        "tinypkg/__init__.py": b"VERSION = '1.0'\n",
        "tinypkg-1.0.dist-info/METADATA": b"Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0\n",
        "tinypkg-1.0.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: lab\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append("tinypkg-1.0.dist-info/RECORD,,")
    with zipfile.ZipFile(wheel, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr("tinypkg-1.0.dist-info/RECORD", "\n".join(record) + "\n")
    return wheel


def install_tool(base: Path, lab: Path, version: str) -> Path:
    venv = lab / "tools" / version
    if (venv / "bin" / "poetry").exists():
        return venv
    venv.parent.mkdir(exist_ok=True)
    run([str(base / "bin" / "python3"), "-m", "venv", str(venv)])
    run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"poetry=={version}"])
    return venv


def prepare_version(lab: Path, base: Path, version: str) -> None:
    w = lab / "w" / version
    w.mkdir(parents=True, exist_ok=True)
    for kind in ["plain", "debian", "conda"]:
        copy_prefix(base, w / kind)
    (w / "debian" / "lib" / "python3.11" / "EXTERNALLY-MANAGED").write_text(MARKER_TEXT)
    (w / "conda" / "conda-meta").mkdir()
    (w / "conda" / "conda-meta" / "history").write_text("==> lab <==\n")
    if (w / "target-venv").exists():
        shutil.rmtree(w / "target-venv")
    run([str(w / "plain" / "bin" / PY), "-m", "venv", "--without-pip", str(w / "target-venv")])


# ----------------------------------------------------------------------------- the index


class Index:
    """A PEP 503 index on 127.0.0.1 serving tinypkg; records each request's credentials."""

    def __init__(self, wheel: Path):
        self.wheel = wheel
        self.seen: list[dict] = []
        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _auth(self):
                header = self.headers.get("Authorization")
                decoded = None
                if header and header.startswith("Basic "):
                    try:
                        decoded = base64.b64decode(header[6:]).decode()
                    except Exception:  # noqa: BLE001 - record garbage as is
                        decoded = "<undecodable>"
                index.seen.append({"method": self.command, "path": self.path, "basic": decoded})
                return header

            def _send(self, code, body=b"", ctype="text/html"):
                self.send_response(code)
                if code == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="lab"')
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if not self._auth():
                    return self._send(401)
                name = index.wheel.name
                if self.path.rstrip("/").endswith("/simple/tinypkg"):
                    digest = hashlib.sha256(index.wheel.read_bytes()).hexdigest()
                    body = f'<html><body><a href="/files/{name}#sha256={digest}">{name}</a></body></html>'
                    return self._send(200, body.encode())
                if self.path.rstrip("/").endswith("/simple"):
                    return self._send(200, b'<html><body><a href="tinypkg/">tinypkg</a></body></html>')
                if self.path.startswith("/files/"):
                    return self._send(200, index.wheel.read_bytes(), "application/octet-stream")
                return self._send(404)

            def do_HEAD(self):
                self.do_GET()

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                if not self._auth():
                    return self._send(401)
                return self._send(200, b"ok")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def take(self) -> list[dict]:
        seen, self.seen = self.seen, []
        return seen


# ----------------------------------------------------------------------------- one run


PYPROJECT = """[tool.poetry]
name = "labproj"
version = "0.1.0"
description = ""
authors = ["lab <lab@example.invalid>"]
{package_mode}
[tool.poetry.dependencies]
python = "^3.11"
{dependency}
{sources}
[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
"""


def version_tuple(v: str) -> tuple[int, ...]:
    return tuple(int(p) for p in v.split("."))


class Worker:
    def __init__(self, lab: Path, version: str):
        self.lab = lab
        self.version = version
        self.w = lab / "w" / version
        self.tool = lab / "tools" / version
        self.wheel = lab / "wheels" / "tinypkg-1.0-py3-none-any.whl"
        self.index = Index(self.wheel)
        self.counter = 0
        self.records: list[dict] = []

    # -- labels for paths, so the JSON holds no machine path
    def label(self, text: str, run_dir: Path) -> str:
        pairs = [
            (str(run_dir / "home"), "<home>"),
            (str(run_dir), "<run>"),
            (str(self.tool), "<tool-venv>"),
            (str(self.w / "target-venv"), "<target-venv>"),
            (str(self.w / "plain"), "<plain>"),
            (str(self.w / "debian"), "<debian>"),
            (str(self.w / "conda"), "<conda>"),
            (str(self.lab), "<lab>"),
            (f"127.0.0.1:{self.index.port}", "127.0.0.1:<port>"),
        ]
        for raw, lab in pairs:
            text = text.replace(raw, lab)
        return text

    def site_candidates(self, run_dir: Path) -> dict[str, list[Path]]:
        home = run_dir / "home"
        return {
            "plain": [self.w / "plain" / SITE],
            "debian": [self.w / "debian" / SITE],
            "conda": [self.w / "conda" / SITE],
            "tool-venv": [self.tool / SITE],
            "target-venv": [self.w / "target-venv" / SITE],
            "in-project-venv": [run_dir / "project" / ".venv" / SITE],
            "cache-venv": list((home / ".cache" / "pypoetry" / "virtualenvs").glob(f"*/{SITE}")),
            "user-site": [home / ".local" / SITE],
        }

    def landed(self, run_dir: Path) -> list[str]:
        found = []
        for label, dirs in self.site_candidates(run_dir).items():
            for d in dirs:
                if d.is_dir() and any(d.glob("tinypkg*")):
                    found.append(label)
        return sorted(set(found))

    def clean(self, run_dir: Path) -> None:
        for dirs in self.site_candidates(run_dir).values():
            for d in dirs:
                for p in d.glob("tinypkg*") if d.is_dir() else []:
                    shutil.rmtree(p) if p.is_dir() else p.unlink()

    # -- topologies
    def set_topology(self, topology: str) -> tuple[list[str], list[str], dict[str, str]]:
        """Places poetry; returns (launcher argv, PATH entries, extra env)."""
        kind, prefix_name = topology.split(":")
        for name in ["plain", "debian", "conda"]:
            pth = self.w / name / SITE / "zz-poetry-lab.pth"
            if pth.exists():
                pth.unlink()
        marker = self.tool / "poetry_env"
        if marker.exists():
            marker.unlink()
        prefix = self.w / prefix_name
        extra: dict[str, str] = {}
        if kind == "system":
            (prefix / SITE / "zz-poetry-lab.pth").write_text(str(self.tool / SITE) + "\n")
            launcher = prefix / "bin" / "poetry"
            launcher.write_text(
                f"#!{prefix}/bin/{PY}\nimport sys\nfrom poetry.console.application import main\n"
                "sys.exit(main())\n"
            )
            launcher.chmod(0o755)
            return [str(launcher)], [str(prefix / "bin")], extra
        # Retarget the tool venv at this base interpreter.
        cfg = self.tool / "pyvenv.cfg"
        text = re.sub(r"(?m)^home = .*$", f"home = {prefix}/bin", cfg.read_text())
        cfg.write_text(text)
        py = self.tool / "bin" / "python"
        py.unlink()
        os.symlink(str(prefix / "bin" / PY), py)
        shim = self.w / "shim"
        shim.mkdir(exist_ok=True)
        if (shim / "poetry").exists() or (shim / "poetry").is_symlink():
            (shim / "poetry").unlink()
        os.symlink(str(self.tool / "bin" / "poetry"), shim / "poetry")
        if kind == "venv-marker":
            marker.touch()
        elif kind == "venv-datadir":
            extra["POETRY_HOME"] = str(self.tool.parent)
        elif kind != "venv":
            raise ValueError(topology)
        return [str(shim / "poetry")], [str(shim), str(prefix / "bin")], extra

    # -- project
    def write_project(self, project: Path, dependency: str, sources: str = "") -> None:
        project.mkdir(parents=True, exist_ok=True)
        package_mode = ""
        (project / "pyproject.toml").write_text(
            PYPROJECT.format(dependency=dependency, sources=sources, package_mode=package_mode)
        )
        # A module for the project itself, so `poetry build`/`publish` have something to pack.
        (project / "labproj").mkdir(exist_ok=True)
        (project / "labproj" / "__init__.py").write_text("")

    def source_block(self, name: str) -> str:
        url = f"http://127.0.0.1:{self.index.port}/simple/"
        if version_tuple(self.version) < (1, 5):
            prio = "default = true"
        else:
            prio = 'priority = "primary"'
        return f'[[tool.poetry.source]]\nname = "{name}"\nurl = "{url}"\n{prio}\n'

    def run_case(
        self,
        case_id: str,
        group: str,
        *,
        topology: str = "system:plain",
        env: list[tuple[str, str]] | None = None,
        files: dict[str, str] | None = None,
        command: list[str],
        project: str = "wheel",
        source_name: str | None = None,
        cwd: str = "project",
        venv_in_project: bool = False,
        read_files: list[str] | None = None,
        note: str | None = None,
    ) -> dict:
        self.counter += 1
        run_dir = self.w / "runs" / f"{self.counter:03d}"
        if run_dir.exists():
            shutil.rmtree(run_dir)
        home = run_dir / "home"
        home.mkdir(parents=True)
        proj = run_dir / "project"
        if project == "wheel":
            shutil.copy2(self.wheel, run_dir / self.wheel.name)
            dep = f'tinypkg = {{ path = "../{self.wheel.name}" }}'
            self.write_project(proj, dep)
        elif project == "index":
            dep = f'tinypkg = {{ version = "*", source = "{source_name}" }}'
            self.write_project(proj, dep, self.source_block(source_name))
        elif project == "none":
            proj.mkdir()
        if venv_in_project:
            run([str(self.w / "plain" / "bin" / PY), "-m", "venv", "--without-pip", str(proj / ".venv")])
        (proj / "sub").mkdir(exist_ok=True)
        argv0, path_entries, extra_env = self.set_topology(topology)

        def expand(s: str) -> str:
            s = s.replace("<home>", str(home)).replace("<run>", str(run_dir))
            s = s.replace("<target-venv>", str(self.w / "target-venv"))
            s = s.replace("<conda>", str(self.w / "conda")).replace("<debian>", str(self.w / "debian"))
            s = s.replace("<plain>", str(self.w / "plain")).replace("<port>", str(self.index.port))
            return s

        written = {}
        for rel, content in (files or {}).items():
            path = Path(expand(rel))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(expand(content))
            written[rel] = content
        env_list = [(k, expand(v)) for k, v in (env or [])]
        base_env = [
            ("HOME", str(home)),
            ("PATH", ":".join(path_entries + ["/usr/bin", "/bin"])),
            ("LANG", "C.UTF-8"),
            ("NO_COLOR", "1"),
        ] + sorted(extra_env.items())
        full_env = base_env + env_list
        cmd = ["env", "-i"] + [f"{k}={v}" for k, v in full_env] + argv0 + command
        run_cwd = {"project": proj, "sub": proj / "sub", "run": run_dir}[cwd]
        self.index.take()
        t0 = time.time()
        try:
            p = subprocess.run(cmd, cwd=run_cwd, capture_output=True, timeout=TOOL_TIMEOUT)
            code, out, err = p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired:
            code, out, err = None, "", "TIMEOUT"
        elapsed = round(time.time() - t0, 2)
        landed = self.landed(run_dir)
        requests = self.index.take()
        read = {}
        for rel in read_files or []:
            path = Path(expand(rel))
            read[rel] = path.read_text() if path.exists() else None
        self.clean(run_dir)
        record = {
            "id": case_id,
            "poetry": self.version,
            "group": group,
            "topology": topology,
            "inputs": {
                "env_in_order": [[k, v] for k, v in (env or [])],
                "extra_env": sorted([k, self.label(v, run_dir)] for k, v in extra_env.items()),
                "files": written,
                "project": project,
                "source_name": source_name,
                "in_project_venv": venv_in_project,
                "cwd": cwd,
                "command": ["poetry"] + command,
            },
            "observed": {
                "exit_code": code,
                "landed": landed,
                "stdout": self.label(out, run_dir)[-1500:],
                "stderr": self.label(err, run_dir)[-1500:],
                "index_requests": [
                    {"method": r["method"], "path": r["path"], "basic": r["basic"]} for r in requests
                ],
                "files_after": {k: (self.label(v, run_dir) if v is not None else None) for k, v in read.items()},
                "seconds": elapsed,
            },
        }
        if note:
            record["note"] = note
        self.records.append(record)
        shutil.rmtree(run_dir, ignore_errors=True)
        return record

    # ------------------------------------------------------------------------- the cases
    def cases(self) -> None:
        v = version_tuple(self.version)
        install = ["install", "--no-root", "--no-interaction"]
        read_create = ["config", "virtualenvs.create"]
        cfg_home = "<home>/.config/pypoetry/config.toml"

        # 1. How an env value parses (read back through `poetry config`).
        values = ["true", "1", "0", "false", "no", "off", "False", "FALSE", "True", "TRUE",
                  "yes", "on", "", "2", "garbage", " false", "false ", " true"]
        for val in values:
            self.run_case(f"bool:env:{val!r}", "bool-env",
                          env=[("POETRY_VIRTUALENVS_CREATE", val)], command=read_create)
        # 2. How a config-file value parses, read back and by a real install.
        for toml_value in ["false", "true", '"false"', '"False"', '"true"', "0", '"0"', '"no"', '""']:
            files = {cfg_home: f"[virtualenvs]\ncreate = {toml_value}\n"}
            self.run_case(f"bool:config:{toml_value}", "bool-config", files=files, command=read_create)
            self.run_case(f"install:config:{toml_value}", "install-config", topology="system:debian",
                          files=files, command=install)
        # 3. Env values by a real install (the identity check `create_venv is False`).
        for val in ["false", "0", "False", "yes", "", "true", "TRUE", "garbage"]:
            self.run_case(f"install:env:{val!r}", "install-env", topology="system:debian",
                          env=[("POETRY_VIRTUALENVS_CREATE", val)], command=install)

        # 4. Which config file is read, and precedence.
        xdg = "<run>/xdg"
        pcd = "<run>/pcd"
        poetry_toml = "<run>/project/poetry.toml"
        F = "[virtualenvs]\ncreate = false\n"
        T = "[virtualenvs]\ncreate = true\n"
        prec = [
            ("home-config", [], {cfg_home: F}, "project"),
            ("xdg-config-home", [("XDG_CONFIG_HOME", xdg)], {f"{xdg}/pypoetry/config.toml": F}, "project"),
            ("xdg-hides-home", [("XDG_CONFIG_HOME", xdg)], {cfg_home: F}, "project"),
            ("xdg-empty-value", [("XDG_CONFIG_HOME", "")], {cfg_home: F}, "project"),
            ("xdg-config-dirs-ignored", [("XDG_CONFIG_DIRS", xdg)], {f"{xdg}/pypoetry/config.toml": F}, "project"),
            ("poetry-config-dir", [("POETRY_CONFIG_DIR", pcd)], {f"{pcd}/config.toml": F}, "project"),
            ("poetry-config-dir-hides-home", [("POETRY_CONFIG_DIR", pcd)], {cfg_home: F, f"{pcd}/config.toml": ""}, "project"),
            ("poetry-config-dir-missing", [("POETRY_CONFIG_DIR", pcd)], {cfg_home: F}, "project"),
            ("poetry-config-dir-empty-value", [("POETRY_CONFIG_DIR", "")], {cfg_home: F}, "project"),
            ("poetry-config-dir-beats-xdg", [("XDG_CONFIG_HOME", xdg), ("POETRY_CONFIG_DIR", pcd)],
             {f"{xdg}/pypoetry/config.toml": F, f"{pcd}/config.toml": T}, "project"),
            ("auth-toml-setting", [], {"<home>/.config/pypoetry/auth.toml": F}, "project"),
            ("auth-beats-config", [], {cfg_home: F, "<home>/.config/pypoetry/auth.toml": T}, "project"),
            ("local-false", [], {poetry_toml: F}, "project"),
            ("local-beats-global-false", [], {cfg_home: T, poetry_toml: F}, "project"),
            ("local-beats-global-true", [], {cfg_home: F, poetry_toml: T}, "project"),
            ("local-beats-auth", [], {"<home>/.config/pypoetry/auth.toml": F, poetry_toml: T}, "project"),
            ("env-beats-local-true", [("POETRY_VIRTUALENVS_CREATE", "true")], {poetry_toml: F}, "project"),
            ("env-beats-local-false", [("POETRY_VIRTUALENVS_CREATE", "false")], {poetry_toml: T}, "project"),
            ("env-beats-global", [("POETRY_VIRTUALENVS_CREATE", "true")], {cfg_home: F}, "project"),
            ("local-from-subdir", [], {poetry_toml: F}, "sub"),
            ("local-in-parent-of-project", [], {"<run>/poetry.toml": F}, "project"),
            ("local-outside-project", [], {"<run>/poetry.toml": F}, "run"),
            ("env-lowercase-name", [("poetry_virtualenvs_create", "false")], {}, "project"),
            ("env-dash-name", [("POETRY_VIRTUALENVS-CREATE", "false")], {}, "project"),
            ("config-key-case", [], {cfg_home: "[virtualenvs]\nCREATE = false\n"}, "project"),
            ("config-dotted-key", [], {cfg_home: "virtualenvs.create = false\n"}, "project"),
            ("config-invalid-toml", [], {cfg_home: "[virtualenvs\ncreate = false\n"}, "project"),
            ("local-invalid-toml", [], {poetry_toml: "[virtualenvs\ncreate = false\n"}, "project"),
        ]
        for name, env, files, cwd in prec:
            self.run_case(f"source:{name}", "source", env=env, files=files, command=read_create, cwd=cwd)
        # A real install for the file-location cases that matter most.
        for name, env, files, cwd in prec:
            if name in {"home-config", "xdg-hides-home", "poetry-config-dir-hides-home", "auth-toml-setting",
                        "local-false", "local-beats-global-true", "env-beats-local-true",
                        "local-in-parent-of-project", "local-from-subdir", "config-invalid-toml"}:
                self.run_case(f"install:source:{name}", "install-source", topology="system:debian",
                              env=env, files=files, command=install, cwd=cwd)

        # 5. Where a create=false install lands, by where poetry lives.
        off = [("POETRY_VIRTUALENVS_CREATE", "false")]
        topologies = ["system:plain", "system:debian", "system:conda", "venv:plain", "venv:debian",
                      "venv-marker:debian", "venv-datadir:debian"]
        for topo in topologies:
            self.run_case(f"target:{topo}:create=false", "target", topology=topo, env=off, command=install)
        for topo in ["system:debian", "venv:debian"]:
            self.run_case(f"target:{topo}:default", "target", topology=topo, env=[], command=install)
        self.run_case("target:system:plain:VIRTUAL_ENV:create=false", "target", topology="system:plain",
                      env=off + [("VIRTUAL_ENV", "<target-venv>")], command=install)
        self.run_case("target:system:plain:VIRTUAL_ENV:default", "target", topology="system:plain",
                      env=[("VIRTUAL_ENV", "<target-venv>")], command=install)
        self.run_case("target:system:debian:VIRTUAL_ENV-missing:create=false", "target", topology="system:debian",
                      env=off + [("VIRTUAL_ENV", "<run>/nonexistent")], command=install)
        self.run_case("target:system:plain:in-project-venv:create=false", "target", topology="system:plain",
                      env=off, command=install, venv_in_project=True)
        self.run_case("target:system:plain:PATH-python-debian:create=false", "target", topology="system:plain",
                      env=off + [("PATH", "<debian>/bin:<plain>/bin:/usr/bin:/bin")], command=install)
        self.run_case("target:system:conda:CONDA_PREFIX-base:create=false", "target", topology="system:conda",
                      env=off + [("CONDA_PREFIX", "<conda>"), ("CONDA_DEFAULT_ENV", "base")], command=install)
        self.run_case("target:system:conda:CONDA_PREFIX-named:default", "target", topology="system:conda",
                      env=[("CONDA_PREFIX", "<conda>"), ("CONDA_DEFAULT_ENV", "lab")], command=install)
        self.run_case("target:system:debian:CONDA_PREFIX-named:default", "target", topology="system:debian",
                      env=[("CONDA_PREFIX", "<conda>"), ("CONDA_DEFAULT_ENV", "lab")], command=install)
        if (1, 4) <= v < (2, 0):
            self.run_case("target:system:debian:pip-installer:create=false", "target", topology="system:debian",
                          env=off + [("POETRY_INSTALLER_MODERN_INSTALLATION", "false")], command=install)
        self.run_case("target:system:debian:PIP_BREAK_SYSTEM_PACKAGES=0:create=false", "target",
                      topology="system:debian", env=off + [("PIP_BREAK_SYSTEM_PACKAGES", "0")], command=install)

        # 6. Credentials: where `poetry config` stores them, and which env names poetry reads.
        auth = "<home>/.config/pypoetry/auth.toml"
        keyring_variants = [
            ("null-backend", [("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")]),
            ("fail-backend", [("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")]),
            ("keyring-disabled", [("POETRY_KEYRING_ENABLED", "false")]),
            ("default", []),
        ]
        for kname, kenv in keyring_variants:
            self.run_case(f"store:http-basic:{kname}", "store", env=kenv, project="none", cwd="run",
                          command=["config", "http-basic.myrepo", "alice", "s3cret-basic"],
                          read_files=[auth, cfg_home])
            self.run_case(f"store:pypi-token:{kname}", "store", env=kenv, project="none", cwd="run",
                          command=["config", "pypi-token.myrepo", "pypi-s3cret-token"],
                          read_files=[auth, cfg_home])
        self.run_case("store:http-basic:local", "store", env=keyring_variants[0][1],
                      command=["config", "--local", "http-basic.myrepo", "alice", "s3cret-basic"],
                      read_files=[auth, "<run>/project/poetry.toml"])

        lock = ["lock", "--no-interaction"]
        null = [("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")]
        cred_cases = [
            ("myrepo", "myrepo", [("POETRY_HTTP_BASIC_MYREPO_USERNAME", "alice"), ("POETRY_HTTP_BASIC_MYREPO_PASSWORD", "pw-env")], {}),
            ("none", "myrepo", [], {}),
            ("password-only", "myrepo", [("POETRY_HTTP_BASIC_MYREPO_PASSWORD", "pw-env")], {}),
            ("username-only", "myrepo", [("POETRY_HTTP_BASIC_MYREPO_USERNAME", "alice")], {}),
            ("dash-name", "my-repo", [("POETRY_HTTP_BASIC_MY_REPO_USERNAME", "alice"), ("POETRY_HTTP_BASIC_MY_REPO_PASSWORD", "pw-env")], {}),
            ("dash-name-dash-var", "my-repo", [("POETRY_HTTP_BASIC_MY-REPO_USERNAME", "alice"), ("POETRY_HTTP_BASIC_MY-REPO_PASSWORD", "pw-env")], {}),
            ("mixed-case-name", "My-Repo", [("POETRY_HTTP_BASIC_MY_REPO_USERNAME", "alice"), ("POETRY_HTTP_BASIC_MY_REPO_PASSWORD", "pw-env")], {}),
            ("underscore-name", "my_repo", [("POETRY_HTTP_BASIC_MY_REPO_USERNAME", "alice"), ("POETRY_HTTP_BASIC_MY_REPO_PASSWORD", "pw-env")], {}),
            ("dot-name", "my.repo", [("POETRY_HTTP_BASIC_MY_REPO_USERNAME", "alice"), ("POETRY_HTTP_BASIC_MY_REPO_PASSWORD", "pw-env")], {}),
            ("dot-name-dot-var", "my.repo", [("POETRY_HTTP_BASIC_MY.REPO_USERNAME", "alice"), ("POETRY_HTTP_BASIC_MY.REPO_PASSWORD", "pw-env")], {}),
            ("lowercase-var", "myrepo", [("poetry_http_basic_myrepo_username", "alice"), ("poetry_http_basic_myrepo_password", "pw-env")], {}),
            ("auth-toml", "myrepo", [], {auth: '[http-basic.myrepo]\nusername = "bob"\npassword = "pw-file"\n'}),
            ("auth-toml-and-env", "myrepo", [("POETRY_HTTP_BASIC_MYREPO_USERNAME", "alice"), ("POETRY_HTTP_BASIC_MYREPO_PASSWORD", "pw-env")],
             {auth: '[http-basic.myrepo]\nusername = "bob"\npassword = "pw-file"\n'}),
            ("auth-toml-user-env-password", "myrepo", [("POETRY_HTTP_BASIC_MYREPO_PASSWORD", "pw-env")],
             {auth: '[http-basic.myrepo]\nusername = "bob"\n'}),
            ("config-toml", "myrepo", [], {cfg_home: '[http-basic.myrepo]\nusername = "carol"\npassword = "pw-config"\n'}),
            ("local-poetry-toml", "myrepo", [], {poetry_toml: '[http-basic.myrepo]\nusername = "dave"\npassword = "pw-local"\n'}),
            ("pypi-token-env", "myrepo", [("POETRY_PYPI_TOKEN_MYREPO", "tok-env")], {}),
        ]
        for name, source, env, files in cred_cases:
            self.run_case(f"creds:{name}", "creds", env=null + env, files=files, command=lock,
                          project="index", source_name=source)

        # 7. Publishing tokens: which env name `poetry publish -r <repo>` uses.
        pub = ["publish", "--build", "-r", "myrepo", "--no-interaction"]
        repo_url = [("POETRY_REPOSITORIES_MYREPO_URL", "http://127.0.0.1:<port>/legacy/")]
        for name, env in [
            ("token", [("POETRY_PYPI_TOKEN_MYREPO", "tok-env")]),
            ("token-lowercase-var", [("poetry_pypi_token_myrepo", "tok-env")]),
            ("http-basic", [("POETRY_HTTP_BASIC_MYREPO_USERNAME", "alice"), ("POETRY_HTTP_BASIC_MYREPO_PASSWORD", "pw-env")]),
            ("token-and-basic", [("POETRY_PYPI_TOKEN_MYREPO", "tok-env"), ("POETRY_HTTP_BASIC_MYREPO_USERNAME", "alice"), ("POETRY_HTTP_BASIC_MYREPO_PASSWORD", "pw-env")]),
        ]:
            self.run_case(f"publish:{name}", "publish", env=null + repo_url + env, command=pub)


def worker_main(lab: Path, version: str, out: Path) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    worker = Worker(lab, version)
    worker.cases()
    out.write_text(json.dumps(worker.records, indent=1))


def main() -> None:
    args = sys.argv[1:]
    if args and args[0] == "--worker":
        worker_main(Path(args[1]), args[2], Path(args[3]))
        return
    if os.geteuid() != 0:
        sys.exit("needs root (unshare -n)")
    versions = DEFAULT_VERSIONS
    jobs = 2
    if "--versions" in args:
        i = args.index("--versions")
        versions = args[i + 1].split(",")
        del args[i : i + 2]
    if "--jobs" in args:
        i = args.index("--jobs")
        jobs = int(args[i + 1])
        del args[i : i + 2]
    lab = Path(args[0]).resolve()
    out = Path(args[1]) if len(args) > 1 else Path(__file__).with_name("poetry-truth.json")
    lab.mkdir(parents=True, exist_ok=True)
    base = build_base(lab)
    build_wheel(lab)
    for version in versions:
        install_tool(base, lab, version)
        prepare_version(lab, base, version)
    started = time.time()

    def one(version: str) -> list[dict]:
        part = lab / f"records-{version}.json"
        subprocess.run(["unshare", "-n", sys.executable, __file__, "--worker", str(lab), version, str(part)],
                       check=True)
        return json.loads(part.read_text())

    with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
        parts = dict(zip(versions, pool.map(one, versions)))
    records = [r for v in versions for r in parts[v]]
    doc = {
        "description": (
            "Empirical poetry decisions: each record is one real run of a released poetry, "
            "in a private network namespace, fresh HOME, env -i with env_in_order appended after "
            "HOME, PATH, LANG=C.UTF-8, NO_COLOR=1 (and POETRY_HOME for venv-datadir). Written by "
            "measure-poetry.py; see POETRY-SEMANTICS.md."
        ),
        "python": "CPython 3.11.7 (vanilla build) copied into <plain>, <debian> (+EXTERNALLY-MANAGED), <conda> (+conda-meta/)",
        "placeholders": {
            "<home>": "the run's HOME", "<run>": "the run's dir (the project is <run>/project)",
            "<tool-venv>": "the venv poetry is installed in", "<plain>": "system prefix, no marker",
            "<debian>": "system prefix with lib/python3.11/EXTERNALLY-MANAGED",
            "<conda>": "conda-shaped prefix", "<target-venv>": "a venv made from <plain>",
        },
        "landed_labels": ["plain", "debian", "conda", "tool-venv", "target-venv", "in-project-venv",
                          "cache-venv", "user-site"],
        "versions": versions,
        "run_count": len(records),
        "seconds": round(time.time() - started),
        "records": records,
    }
    out.write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(records)} runs in {doc['seconds']} s -> {out}")


if __name__ == "__main__":
    main()
