#!/usr/bin/env bash
# Run the fleet templates' commands for real on the real test images, then check what they
# produced:
#
#   ci/fleet/test.sh IMAGES_DIR IMGAUDIT_BIN
#
# IMAGES_DIR is the output of tests/real-images/build.sh (its images.json names the images);
# IMGAUDIT_BIN is the imgaudit binary the shards run. Runs as root on Debian 12; installs what
# it uses with apt-get (python3-yaml).
#
# - Kubernetes (kubernetes-indexed-job.yaml): the Job's container command, args and env run as
#   `completions` concurrent "pods" (JOB_COMPLETION_INDEX 0..N-1), each volume a directory
#   (the cache and reports claims shared, emptyDirs per pod, the ConfigMap holding a list of
#   ~12 real images). Every image gets exactly one SARIF 2.1.0 and one JSON report, in the
#   shard the round-robin gives it, none twice; each pod's exit status is 1 exactly when one
#   of its reports fails the gate, else 0; the shared cache holds whole entries only. A second
#   round of pods reads no layer (`0 read`).
# - GitHub (github-matrix.yml): the `audit` step's script for every shard of the matrix, each in
#   its own workspace and cache as on separate runners; the shards cover the list (count 4).
# - GitLab (gitlab-parallel.yml): the job's script as node 1 and 2 of 2 (CI_NODE_INDEX from 1).
# - shard.sh: a shard beyond the images exits 0 without reports; a list with an unreadable
#   image makes its shard exit 2 while the shard's other images get their reports; usage errors
#   exit 2; GitLab's CI_NODE_TOTAL=1 alone means one shard.
# - The three templates parse as YAML and agree with each other (counts, paths, volumes).
#
# Env: KEEP_WORK=1 keeps the work directory for debugging.
# shellcheck disable=SC2016  # ${{ }} is meant literally
set -Eeuo pipefail
umask 022

log() { printf '[fleet %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
# shellcheck source=ci/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
trap 'rc=$?; log "ERROR: command failed (exit $rc) at line $LINENO: $BASH_COMMAND"; exit $rc' ERR

[[ $# -eq 2 && -n $1 && -n $2 ]] || { echo "usage: $0 IMAGES_DIR IMGAUDIT_BIN" >&2; exit 2; }
[[ -f $1/images.json ]] || die "$1/images.json not found (run tests/real-images/build.sh $1)"
[[ -f $2 && -x $2 ]] || die "$2: not an executable file"
IMAGES=$(cd "$1" && pwd)
IMGAUDIT_BIN=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHARD=$SCRIPT_DIR/shard.sh
K8S_YML=$SCRIPT_DIR/kubernetes-indexed-job.yaml
GH_YML=$SCRIPT_DIR/github-matrix.yml
GL_YML=$SCRIPT_DIR/gitlab-parallel.yml
STARTED=$SECONDS

# ------------------------------------------------------------------ tools --

# A pyenv or venv python3 first on PATH does not see Debian's python3-yaml: use the system one.
PY=python3
if ! { command -v "$PY" >/dev/null && "$PY" -c 'import yaml' 2>/dev/null; }; then
  PY=/usr/bin/python3
  "$PY" -c 'import yaml' 2>/dev/null || apt_install python3 python3-yaml
  "$PY" -c 'import yaml' || die "$PY cannot import yaml after installing python3-yaml"
fi

# ------------------------------------------------------------------- work --

WORK="" PIDS=()
cleanup() {
  local rc=$? pid
  set +e; trap - ERR
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  if [[ ${KEEP_WORK:-} == 1 && -n $WORK ]]; then
    log "work directory kept: $WORK"
  elif [[ -n $WORK ]]; then
    rm -rf --one-file-system -- "$WORK"
  fi
  [[ $rc -eq 0 ]] || log "FAILED (exit $rc)"
}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/imgaudit-fleet.XXXXXX")
trap cleanup EXIT
mkdir -p "$WORK/bin"
# What the templates' images have on PATH: imgaudit and shard.sh as imgaudit-shard.
ln -s "$IMGAUDIT_BIN" "$WORK/bin/imgaudit"
ln -s "$SHARD" "$WORK/bin/imgaudit-shard"
BASE_PATH=$WORK/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# The YAML and report checks, in Python: `fleet.py COMMAND ARGS...`.
cat >"$WORK/fleet.py" <<'PY'
import json, os, re, shlex, sys
from pathlib import Path
import yaml

def fail(msg):
    print(f"ERROR: {msg}", file=sys.stderr)
    sys.exit(1)

def need(cond, msg):
    if not cond:
        fail(msg)

def images_of(text):
    """The image lines of a list, as shard.sh and imgaudit read them."""
    out = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            out.append(line)
    return out

def canonical(arg):
    """The image argument as a report's image.source gives it: a bare archive path gains its
    transport."""
    return re.sub(r"^(docker-archive|oci-archive):", "", arg)

def shell(**kv):
    for k, v in kv.items():
        print(f"{k}={shlex.quote(str(v))}")

def write_nul(path, items):
    Path(path).write_bytes(b"".join(s.encode() + b"\0" for s in items))

def unknown_keys(obj, allowed, where):
    extra = set(obj) - set(allowed)
    need(not extra, f"{where}: unknown keys {sorted(extra)} (a typo?)")

def cmd_list(images_dir, out):
    """The test list: OCI layouts (gzip, zstd) and docker archives of every image, the Python
    fixtures; with comments, a blank line, indentation and a CRLF line as people write them."""
    d = Path(images_dir)
    doc = json.loads((d / "images.json").read_text())
    # Format by format: the images of one format share their base layer and fall on different
    # shards, so concurrent pods read and cache the same layers at the same time.
    entries = []
    for fmt in ("oci-gzip", "oci-zstd", "docker-archive"):
        for img in doc["images"]:
            f = img["formats"]
            if fmt in f:
                entries.append(str(d / f[fmt]) if fmt == "docker-archive" else f"oci:{d / f[fmt]}:{img['ref']}")
    for name, v in sorted(doc.get("python_fixtures", {}).items()):
        entries.append(f"oci:{d / v}")
    for e in entries:
        p = e[4:].rsplit(":", 1)[0] if e.startswith("oci:") else e
        need(Path(p).exists(), f"{p} (from images.json) does not exist")
    need(8 <= len(entries) <= 16, f"{len(entries)} test images, expected 8 to 16")
    lines = ["# fleet test list (ci/fleet/test.sh)", ""]
    for i, e in enumerate(entries):
        if i == 1:
            lines.append(f"   {e}   # indented, with a comment")
        elif i == 2:
            lines.append(e + "\r")
        else:
            lines.append(e)
        if i == 4:
            lines.append("# a comment between images")
    Path(out).write_text("\n".join(lines) + "\n")
    print(len(entries))

def cmd_broken_list(list_file, out):
    good = images_of(Path(list_file).read_text())
    # Shard 1 of 2 gets the unreadable image and good[2]; shard 0 gets good[0] and good[1].
    Path(out).write_text("\n".join([good[0], "oci:/nonexistent:x", good[1], good[2]]) + "\n")

# ----------------------------------------------------------- Kubernetes --

JOB_SPEC = {"completionMode", "completions", "parallelism", "backoffLimit", "backoffLimitPerIndex",
            "maxFailedIndexes", "podFailurePolicy", "activeDeadlineSeconds",
            "ttlSecondsAfterFinished", "template", "suspend", "selector", "manualSelector",
            "podReplacementPolicy", "successPolicy"}
POD_SPEC = {"restartPolicy", "securityContext", "containers", "initContainers", "volumes",
            "serviceAccountName", "nodeSelector", "tolerations", "affinity",
            "imagePullSecrets", "priorityClassName", "automountServiceAccountToken"}
CONTAINER = {"name", "image", "command", "args", "env", "envFrom", "resources", "securityContext",
             "volumeMounts", "workingDir", "imagePullPolicy"}

def cmd_k8s(path, work, list_file):
    docs = [d for d in yaml.safe_load_all(Path(path).read_text()) if d is not None]
    by_kind = {}
    for d in docs:
        need(isinstance(d, dict) and "apiVersion" in d and "kind" in d and "name" in d.get("metadata", {}),
             f"{path}: a document without apiVersion, kind or metadata.name")
        by_kind.setdefault(d["kind"], []).append(d)
    need(sorted(by_kind) == ["ConfigMap", "Job", "PersistentVolumeClaim"],
         f"{path}: kinds {sorted(by_kind)}")
    [job] = by_kind["Job"]
    need(job["apiVersion"] == "batch/v1", "the Job is not batch/v1")
    spec = job["spec"]
    unknown_keys(spec, JOB_SPEC, "Job.spec")
    need(spec.get("completionMode") == "Indexed", "completionMode is not Indexed")
    n = spec.get("completions")
    need(isinstance(n, int) and n >= 2, f"completions {n!r}")
    need(isinstance(spec.get("parallelism"), int) and 1 <= spec["parallelism"] <= n, "parallelism")
    pod = spec["template"]["spec"]
    unknown_keys(pod, POD_SPEC, "pod spec")
    if "podFailurePolicy" in spec:
        need(pod.get("restartPolicy") == "Never", "podFailurePolicy needs restartPolicy: Never")
        for r in spec["podFailurePolicy"]["rules"]:
            unknown_keys(r, {"action", "onExitCodes", "onPodConditions"}, "podFailurePolicy rule")
            if r["action"] == "FailIndex":
                need("backoffLimitPerIndex" in spec, "FailIndex needs backoffLimitPerIndex")
    [c] = pod["containers"]
    unknown_keys(c, CONTAINER, "container")
    for r in spec.get("podFailurePolicy", {}).get("rules", []):
        if "onExitCodes" in r:
            need(r["onExitCodes"].get("containerName") == c["name"], "podFailurePolicy containerName")
    env = {}
    for e in c.get("env", []):
        need("value" in e and isinstance(e["value"], str), f"env {e.get('name')}: a string value only")
        env[e["name"]] = e["value"]
    need(env.get("SHARD_COUNT") == str(n), f"SHARD_COUNT {env.get('SHARD_COUNT')!r} != completions {n}")
    argv = list(c.get("command", [])) + list(c.get("args", []))
    need(argv and all(isinstance(a, str) for a in argv), "command/args: strings only")
    need(argv[0] == "imgaudit-shard", f"the command is {argv[0]!r}, not imgaudit-shard")
    opts = argv[1:argv.index("--")] if "--" in argv else argv[1:]
    def opt(name):
        return opts[opts.index(name) + 1] if name in opts else None
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
    need(set(mounts.values()) <= set(volumes), "a volumeMount names no volume")
    pvcs = {p["metadata"]["name"]: p for p in by_kind["PersistentVolumeClaim"]}
    cms = {m["metadata"]["name"]: m for m in by_kind["ConfigMap"]}
    def volume_at(p):
        need(p in mounts, f"{p} is not a volume's mountPath")
        return volumes[mounts[p]]
    cache = opt("--cache-dir") or env.get("IMGAUDIT_CACHE_DIR")
    need(cache, "no --cache-dir nor IMGAUDIT_CACHE_DIR")
    for what, p in (("cache", cache), ("reports", opt("--out"))):
        need(p, f"no {what} directory")
        v = volume_at(p)
        need("persistentVolumeClaim" in v, f"the {what} volume is not a claim")
        claim = pvcs.get(v["persistentVolumeClaim"]["claimName"])
        need(claim, f"the {what} claim is not in the manifest")
        need("ReadWriteMany" in claim["spec"]["accessModes"], f"the {what} claim is not ReadWriteMany")
    dc = env.get("DOCKER_CONFIG")
    need(dc, "no DOCKER_CONFIG")
    sv = volume_at(dc).get("secret")
    need(sv and any(i["path"] == "config.json" for i in sv.get("items", [])),
         "DOCKER_CONFIG is not a Secret volume with config.json")
    # The list: the positional argument, a file of a ConfigMap volume.
    positional, it = [], iter(opts)
    for a in it:
        if a in ("--out", "--cache-dir", "--index", "--count"):
            next(it, None)
        else:
            positional.append(a)
    need(len(positional) == 1, f"positional arguments {positional}")
    lst = positional[0]
    lv = volume_at(os.path.dirname(lst))
    need("configMap" in lv, "the list is not in a ConfigMap volume")
    cm = cms.get(lv["configMap"]["name"])
    need(cm, "the list's ConfigMap is not in the manifest")
    key = os.path.basename(lst)
    need(key in cm["data"] and images_of(cm["data"][key]), f"ConfigMap key {key} lists no image")

    # Materialize the volumes: claims shared by the pods, emptyDirs per pod.
    work = Path(work)
    for i in range(n):
        pmap = {}
        for mp, name in mounts.items():
            v = volumes[name]
            if "persistentVolumeClaim" in v:
                d = work / "claims" / v["persistentVolumeClaim"]["claimName"]
            else:
                d = work / f"pod-{i}" / name
            d.mkdir(parents=True, exist_ok=True)
            if "configMap" in v:
                for k in cms[v["configMap"]["name"]]["data"]:
                    (d / k).write_text(Path(list_file).read_text() if k == key else
                                       cms[v["configMap"]["name"]]["data"][k])
            if "secret" in v:
                for it in v["secret"]["items"]:
                    (d / it["path"]).write_text('{"auths": {}}\n')
            pmap[mp] = str(d)
        def sub(s):
            for mp in sorted(pmap, key=len, reverse=True):
                if s == mp or s.startswith(mp + "/"):
                    return pmap[mp] + s[len(mp):]
            return s
        write_nul(work / f"pod-{i}.argv", [sub(a) for a in argv])
        penv = {k: sub(v) for k, v in env.items()}
        penv["JOB_COMPLETION_INDEX"] = str(i)
        if "/tmp" in pmap:
            penv["TMPDIR"] = pmap["/tmp"]
        write_nul(work / f"pod-{i}.env", [f"{k}={v}" for k, v in penv.items()])
        (work / f"pod-{i}" / "cwd").mkdir(parents=True, exist_ok=True)
    def mapped(p):
        v = volume_at(p)
        return work / "claims" / v["persistentVolumeClaim"]["claimName"]
    shell(K8S_PODS=n, K8S_CACHE=mapped(cache), K8S_REPORTS=mapped(opt("--out")))

# --------------------------------------------------------------- GitHub --

def cmd_github(path, env_file):
    doc = yaml.safe_load(Path(path).read_text())
    need(doc.get("on", doc.get(True)), "no `on:`")
    wenv = doc.get("env", {})
    [(jid, job)] = list(doc["jobs"].items())
    strat = job["strategy"]
    need(strat.get("fail-fast") is False, "fail-fast is not false")
    shards = strat["matrix"]["shard"]
    steps = {s.get("id"): s for s in job["steps"] if s.get("id")}
    run = steps["audit"]["run"]
    m = re.search(r"--count (\d+)", run)
    need(m, "the audit step passes no --count")
    n = int(m.group(1))
    need(shards == list(range(n)), f"matrix.shard {shards} is not 0..{n - 1}")
    need("--index ${{ matrix.shard }}" in run, "the audit step does not pass --index ${{ matrix.shard }}")
    out = re.search(r"--out (\S+)", run)
    need(out, "the audit step passes no --out")
    out = out.group(1)
    uses = {s["uses"].split("@")[0]: s for s in job["steps"] if "uses" in s}
    for u in ("actions/checkout", "actions/cache/restore", "actions/cache/save",
              "github/codeql-action/upload-sarif", "actions/upload-artifact"):
        need(u in uses, f"no {u} step")
    need("IMGAUDIT_CACHE_DIR" in wenv, "no IMGAUDIT_CACHE_DIR in the workflow's env")
    for u in ("actions/cache/restore", "actions/cache/save"):
        need(uses[u]["with"]["path"] == "${{ env.IMGAUDIT_CACHE_DIR }}", f"{u} caches another path")
    need("hashFiles(env.IMAGE_LIST)" in uses["actions/cache/restore"]["with"]["key"],
         "the cache key is not made from the image list")
    need("!cancelled()" in uses["actions/cache/save"].get("if", ""), "the cache is not saved after a failing audit")
    up = uses["github/codeql-action/upload-sarif"]
    need(up["with"]["sarif_file"] == out + "/shard-${{ matrix.shard }}",
         f"upload-sarif reads {up['with']['sarif_file']}, shard.sh writes {out}/shard-N")
    need("!cancelled()" in up.get("if", ""), "upload-sarif does not run after a failing audit")
    need(doc.get("permissions", {}).get("security-events") == "write", "no security-events: write")
    env = {**wenv, **job.get("env", {}), **steps["audit"].get("env", {})}
    need(not any("${{" in str(v) for v in env.values()), "the audit step's env uses expressions")
    need("IMAGE_LIST" in env, "no IMAGE_LIST in the env")
    write_nul(env_file, [f"{k}={v}" for k, v in env.items()])
    shell(GH_COUNT=n, GH_OUT=out, GH_RUN=run, GH_LIST=env["IMAGE_LIST"])

# --------------------------------------------------------------- GitLab --

def cmd_gitlab(path, env_file):
    doc = yaml.safe_load(Path(path).read_text())
    jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and "script" in v}
    [(name, job)] = list(jobs.items())
    need(isinstance(job.get("parallel"), int) and job["parallel"] >= 2, "parallel is not a number >= 2")
    script = "\n".join(job["script"])
    out = re.search(r"--out (\S+)", script)
    need(out, "the script passes no --out")
    out = out.group(1)
    art = job["artifacts"]
    need(art.get("when") == "always", "artifacts are not kept when the job fails")
    need(any(p.rstrip("/") == out for p in art["paths"]), f"artifacts do not keep {out}/")
    v = job.get("variables", {})
    need("IMGAUDIT_CACHE_DIR" in v and "IMAGE_LIST" in v, "no IMGAUDIT_CACHE_DIR or IMAGE_LIST variable")
    write_nul(env_file, [f"{k}={x}" for k, x in v.items()])
    shell(GL_PARALLEL=job["parallel"], GL_OUT=out, GL_SCRIPT=script, GL_LIST=v["IMAGE_LIST"])

# -------------------------------------------------------------- reports --

def cmd_check(list_file, count, out, runs_json, broken=""):
    """Shards `runs` ({index: exit status}) of `count` wrote to out/shard-I: each holds exactly
    its round-robin share, one JSON and one SARIF per image; the exit status follows the gate.
    With every shard run, the shards cover the list once."""
    images = images_of(Path(list_file).read_text())
    count, runs = int(count), {int(k): v for k, v in json.loads(runs_json).items()}
    broken = set(filter(None, broken.split(",")))
    seen, categories, failing_total, passing_total = [], [], 0, 0
    for i, rc in sorted(runs.items()):
        mine = [img for k, img in enumerate(images) if k % count == i]
        d = Path(out) / f"shard-{i}"
        need(d.is_dir(), f"{d} missing")
        recorded = images_of((d / "images.txt").read_text()) if (d / "images.txt").exists() else []
        need(recorded == mine, f"shard {i}: images.txt lists {recorded}, expected {mine}")
        files = sorted(p.name for p in d.iterdir())
        stems = {p[:-5] for p in files if p.endswith(".json")}
        need({p[:-6] for p in files if p.endswith(".sarif")} == stems, f"shard {i}: SARIF and JSON differ: {files}")
        need(all(p == "images.txt" or p.endswith((".json", ".sarif")) for p in files), f"shard {i}: {files}")
        sources, failing = [], 0
        for s in sorted(stems):
            rep = json.loads((d / f"{s}.json").read_text())
            sources.append(canonical(rep["image"]["source"]))
            failing += rep["failing"] > 0
            failing_total += rep["failing"] > 0
            passing_total += rep["failing"] == 0
            sarif = json.loads((d / f"{s}.sarif").read_text())
            need(sarif.get("version") == "2.1.0", f"{d}/{s}.sarif: version {sarif.get('version')}")
            need(len(sarif["runs"]) == 1 and sarif["runs"][0]["automationDetails"]["id"] == rep["category"],
                 f"{d}/{s}.sarif: not one run with the report's category")
            categories.append(rep["category"])
        need(len(sources) == len(set(sources)), f"shard {i}: an image has two reports: {sorted(sources)}")
        want = sorted(canonical(x) for x in mine if x not in broken)
        need(sorted(sources) == want, f"shard {i}: reports for {sorted(sources)}, expected {want}")
        expect = 2 if any(x in broken for x in mine) else 1 if failing else 0
        need(rc == expect, f"shard {i} exited {rc}, expected {expect} ({failing} failing image(s))")
        seen += sources
        print(f"shard {i}/{count}: {len(sources)} image(s), {failing} failing, exit {rc} as expected")
    need(len(seen) == len(set(seen)), "an image was audited by two shards")
    # Code scanning refuses two runs with one category: every image must have its own.
    need(len(categories) == len(set(categories)), f"two images share a SARIF category: {sorted(categories)}")
    if sorted(runs) == list(range(count)):
        need(sorted(seen) == sorted(canonical(x) for x in images if x not in broken),
             f"the shards cover {len(seen)} of {len(images)} images")
        print(f"{count} shards: every image of the list audited exactly once"
              + (f" (but the {len(broken)} unreadable)" if broken else ""))
    print(f"FAILING={failing_total} PASSING={passing_total}")

def cmd_cache(info_json, cache_dir):
    info = json.loads(info_json)
    need(info["entries"] > 0, f"the shared cache has no entries: {info}")
    need(info["unreadable"] == 0, f"unreadable cache entries: {info}")
    tmp = Path(cache_dir) / "tmp"
    left = list(tmp.iterdir()) if tmp.is_dir() else []
    need(not left, f"leftover temporary files in the cache: {left}")
    print(f"{info['entries']} entries, {info['size']} bytes, none unreadable, no temporary file left")

cmds = {"list": cmd_list, "broken-list": cmd_broken_list, "k8s": cmd_k8s, "github": cmd_github,
        "gitlab": cmd_gitlab, "check": cmd_check, "cache": cmd_cache}
cmds[sys.argv[1]](*sys.argv[2:])
PY
fleet() { "$PY" "$WORK/fleet.py" "$@"; }

# The "layers: N read" of the totals line a batch prints.
layers_read() {  # LOG
  sed -nE 's/^[0-9]+ images? in .*layers: ([0-9]+) read.*/\1/p' "$1"
}

# Checks the reports of shards and logs the result: check LABEL LIST COUNT OUT RUNS_JSON [BROKEN].
check() {
  local label=$1; shift
  fleet check "$@" >"$WORK/check.log" || { cat "$WORK/check.log" >&2; die "$label: the reports are wrong"; }
  sed "s/^/  $label: /" "$WORK/check.log" >&2
}

# ------------------------------------------------------------- the list --

LIST=$WORK/images.txt
n_images=$(fleet list "$IMAGES" "$LIST")
log "test list: $n_images images of $IMAGES (OCI layouts gzip and zstd, docker archives)"

# --------------------------------------------------------------- YAML --

log "parsing the templates"
vars=$(fleet k8s "$K8S_YML" "$WORK/k8s" "$LIST") || die "$K8S_YML is wrong"
eval "$vars"
vars=$(fleet github "$GH_YML" "$WORK/github.env") || die "$GH_YML is wrong"
eval "$vars"
vars=$(fleet gitlab "$GL_YML" "$WORK/gitlab.env") || die "$GL_YML is wrong"
eval "$vars"
log "Kubernetes: $K8S_PODS pods; GitHub: a matrix of $GH_COUNT; GitLab: parallel $GL_PARALLEL"

# --------------------------------------------------------------- Kubernetes --

# Starts the Job's pods concurrently and waits for them: K8S_RC[i] is pod i's exit status.
K8S_RC=()
run_pods() {  # ROUND
  local i pid
  local -a pids=()
  for ((i = 0; i < K8S_PODS; i++)); do
    local -a argv=() penv=()
    mapfile -d '' argv <"$WORK/k8s/pod-$i.argv"
    mapfile -d '' penv <"$WORK/k8s/pod-$i.env"
    (cd "$WORK/k8s/pod-$i/cwd" &&
      exec env -i PATH="$BASE_PATH" HOME="$WORK/k8s/pod-$i/cwd" "${penv[@]}" "${argv[@]}") \
      >"$WORK/k8s/pod-$i.round$1.out" 2>"$WORK/k8s/pod-$i.round$1.err" &
    pids+=("$!"); PIDS+=("$!")
  done
  for ((i = 0; i < K8S_PODS; i++)); do
    K8S_RC[i]=0
    wait "${pids[i]}" || K8S_RC[i]=$?
  done
}

k8s_round() {  # ROUND
  local t0=$SECONDS runs="" i listed audited
  log "Kubernetes round $1: $K8S_PODS pods at once, one cache directory"
  run_pods "$1"
  for ((i = 0; i < K8S_PODS; i++)); do
    runs+="${runs:+,}\"$i\": ${K8S_RC[i]}"
    if ((K8S_RC[i] > 1)); then
      cat "$WORK/k8s/pod-$i.round$1.err" >&2
      die "pod $i exited ${K8S_RC[i]}"
    fi
    # The pod's summary counts each of its images once.
    listed=$(wc -l <"$K8S_REPORTS/shard-$i/images.txt")
    audited=$(sed -nE 's/^([0-9]+) images? in .*/\1/p' "$WORK/k8s/pod-$i.round$1.out")
    [[ $audited == "$listed" ]] || die "pod $i's summary counts ${audited:-no} images, it was given $listed"
  done
  check "k8s round $1" "$LIST" "$K8S_PODS" "$K8S_REPORTS" "{$runs}"
  log "Kubernetes round $1 done in $((SECONDS - t0))s: exit statuses ${K8S_RC[*]}"
}

k8s_round 1
if ! grep -q 'FAILING=[1-9]' "$WORK/check.log" || ! grep -q 'PASSING=[1-9]' "$WORK/check.log"; then
  die "the test list needs failing and passing images to test both exit statuses ($(tail -1 "$WORK/check.log"))"
fi
info=$("$IMGAUDIT_BIN" cache info --format json --cache-dir "$K8S_CACHE") || die "imgaudit cache info failed"
fleet cache "$info" "$K8S_CACHE" | sed 's/^/  shared cache: /' >&2 || die "the shared cache is wrong"
cp -r "$K8S_REPORTS" "$WORK/k8s/reports-round1"

k8s_round 2
for ((i = 0; i < K8S_PODS; i++)); do
  read_n=$(layers_read "$WORK/k8s/pod-$i.round2.out")
  [[ $read_n == 0 ]] || { cat "$WORK/k8s/pod-$i.round2.out" >&2; die "pod $i read ${read_n:-?} layers in round 2, expected 0 (all cached)"; }
done
log "round 2: every pod read 0 layers"
# A warm audit gives the same reports (apart from the elapsed time nowhere in them).
diff -r "$WORK/k8s/reports-round1" "$K8S_REPORTS" >"$WORK/diff.log" \
  || { head -40 "$WORK/diff.log" >&2; die "round 2's reports differ from round 1's"; }
log "round 2's reports are identical to round 1's"

# --------------------------------------------------------------- GitHub --

# Each matrix job: its own workspace (the list at IMAGE_LIST, ci/fleet/shard.sh) and cache.
log "GitHub: the audit step of matrix shards 0..$((GH_COUNT - 1)), separate workspaces"
mapfile -d '' gh_env <"$WORK/github.env"
runs="" pids=()
for ((i = 0; i < GH_COUNT; i++)); do
  ws=$WORK/github/ws-$i
  mkdir -p "$ws/ci/fleet" "$ws/$(dirname "$GH_LIST")"
  ln -s "$SHARD" "$ws/ci/fleet/shard.sh"
  cp "$LIST" "$ws/$GH_LIST"
  run=${GH_RUN//'${{ matrix.shard }}'/$i}
  # IMGAUDIT: what the workflow's install step puts in GITHUB_ENV.
  (cd "$ws" && exec env -i PATH="$BASE_PATH" HOME="$ws" "${gh_env[@]}" IMGAUDIT="$IMGAUDIT_BIN" \
    bash --noprofile --norc -eo pipefail -c "$run") \
    >"$WORK/github/shard-$i.out" 2>"$WORK/github/shard-$i.err" &
  pids+=("$!"); PIDS+=("$!")
done
mkdir -p "$WORK/github/reports"
for ((i = 0; i < GH_COUNT; i++)); do
  rc=0; wait "${pids[i]}" || rc=$?
  ((rc <= 1)) || { cat "$WORK/github/shard-$i.err" >&2; die "GitHub shard $i exited $rc"; }
  runs+="${runs:+,}\"$i\": $rc"
  # Gather what upload-artifact would keep, to check the shards together.
  if [[ -d $WORK/github/ws-$i/$GH_OUT/shard-$i ]]; then cp -r "$WORK/github/ws-$i/$GH_OUT/shard-$i" "$WORK/github/reports/"; fi
  info=$("$IMGAUDIT_BIN" cache info --format json --cache-dir "$WORK/github/ws-$i/.imgaudit-cache") \
    || die "GitHub shard $i: no cache to save"
  fleet cache "$info" "$WORK/github/ws-$i/.imgaudit-cache" >/dev/null || die "GitHub shard $i: the cache is wrong"
done
check "github" "$LIST" "$GH_COUNT" "$WORK/github/reports" "{$runs}"

# --------------------------------------------------------------- GitLab --

log "GitLab: the job's script as node 1 and 2 of 2 (CI_NODE_INDEX counts from 1)"
mapfile -d '' gl_env <"$WORK/gitlab.env"
runs="" pids=()
mkdir -p "$WORK/gitlab/cache"
for node in 1 2; do
  ws=$WORK/gitlab/ws-$node
  mkdir -p "$ws/$(dirname "$GL_LIST")"
  cp "$LIST" "$ws/$GL_LIST"
  # IMGAUDIT_CACHE_DIR: the runners' shared volume, one directory for both nodes.
  (cd "$ws" && exec env -i PATH="$BASE_PATH" HOME="$ws" "${gl_env[@]}" \
    IMGAUDIT_CACHE_DIR="$WORK/gitlab/cache" CI_NODE_INDEX=$node CI_NODE_TOTAL=2 GITLAB_CI=true \
    bash --noprofile --norc -eo pipefail -c "$GL_SCRIPT") \
    >"$WORK/gitlab/node-$node.out" 2>"$WORK/gitlab/node-$node.err" &
  pids+=("$!"); PIDS+=("$!")
done
mkdir -p "$WORK/gitlab/reports"
for node in 1 2; do
  rc=0; wait "${pids[node - 1]}" || rc=$?
  ((rc <= 1)) || { cat "$WORK/gitlab/node-$node.err" >&2; die "GitLab node $node exited $rc"; }
  runs+="${runs:+,}\"$((node - 1))\": $rc"
  d=$WORK/gitlab/ws-$node/$GL_OUT/shard-$((node - 1))
  if [[ -d $d ]]; then cp -r "$d" "$WORK/gitlab/reports/"; fi
done
check "gitlab" "$LIST" 2 "$WORK/gitlab/reports" "{$runs}"

# -------------------------------------------------------------- shard.sh --

# shard.sh directly, in the work directory, with the warm cache of the Kubernetes rounds.
shard() { (cd "$WORK" && exec env -i PATH="$BASE_PATH" HOME="$WORK" IMGAUDIT_CACHE_DIR="$K8S_CACHE" "$@"); }

log "shard.sh: a shard beyond the images"
rc=0; shard "$SHARD" --index "$n_images" --count $((n_images + 1)) --out "$WORK/empty" "$LIST" \
  >"$WORK/empty.out" 2>"$WORK/empty.err" || rc=$?
[[ $rc == 0 ]] || { cat "$WORK/empty.err" >&2; die "the empty shard exited $rc, expected 0"; }
grep -q 'no image for this shard' "$WORK/empty.err" || die "the empty shard says nothing: $(cat "$WORK/empty.err")"
shopt -s nullglob
reports=("$WORK/empty/shard-$n_images"/*.json "$WORK/empty/shard-$n_images"/*.sarif)
shopt -u nullglob
((${#reports[@]} == 0)) || die "the empty shard wrote reports: ${reports[*]}"
log "  exit 0: $(cat "$WORK/empty.err")"

log "shard.sh: GitLab's CI_NODE_TOTAL=1 without CI_NODE_INDEX (no parallel:) is one shard of all"
rc=0; shard CI_NODE_TOTAL=1 "$SHARD" --out "$WORK/single" "$LIST" >"$WORK/single.out" 2>"$WORK/single.err" || rc=$?
check "one shard" "$LIST" 1 "$WORK/single" "{\"0\": $rc}"

log "shard.sh: the list on standard input (-)"
rc=0; shard "$SHARD" --index 1 --count 3 --out "$WORK/stdin" - <"$LIST" >"$WORK/stdin.out" 2>"$WORK/stdin.err" || rc=$?
check "stdin" "$LIST" 3 "$WORK/stdin" "{\"1\": $rc}"

log "shard.sh: an unreadable image in a list of 4, 2 shards"
fleet broken-list "$LIST" "$WORK/broken.txt"
runs=""
for i in 0 1; do
  rc=0; shard "$SHARD" --index "$i" --count 2 --out "$WORK/broken" "$WORK/broken.txt" \
    >"$WORK/broken-$i.out" 2>"$WORK/broken-$i.err" || rc=$?
  runs+="${runs:+,}\"$i\": $rc"
done
check "unreadable image" "$WORK/broken.txt" 2 "$WORK/broken" "{$runs}" "oci:/nonexistent:x"
grep -q '/nonexistent' "$WORK/broken-1.err" || die "shard 1 does not name the unreadable image on stderr"
grep -q '1 not audited' "$WORK/broken-1.out" || die "shard 1's summary does not count the unreadable image"

log "shard.sh: usage errors exit 2"
expect_usage_error() {  # DESCRIPTION COMMAND...
  local what=$1 rc=0; shift
  shard "$@" >"$WORK/usage.out" 2>"$WORK/usage.err" || rc=$?
  [[ $rc == 2 ]] || die "$what: exit $rc, expected 2"
  log "  $what: $(head -1 "$WORK/usage.err")"
}
expect_usage_error "no shard given" "$SHARD" "$LIST"
expect_usage_error "index not below count" "$SHARD" --index 3 --count 3 "$LIST"
expect_usage_error "JOB_COMPLETION_INDEX without SHARD_COUNT" JOB_COMPLETION_INDEX=0 "$SHARD" "$LIST"
expect_usage_error "CI_NODE_INDEX 0 (GitLab counts from 1)" CI_NODE_INDEX=0 CI_NODE_TOTAL=2 "$SHARD" "$LIST"
expect_usage_error "a list without images" "$SHARD" --index 0 --count 1 /dev/null
[[ ! -e $WORK/imgaudit-reports ]] || die "a usage error created the reports directory"
rc=0; "$SHARD" -h >"$WORK/usage.out" 2>&1 || rc=$?
if [[ $rc != 0 ]] || ! grep -q '^usage: shard.sh' "$WORK/usage.out"; then die "shard.sh -h: exit $rc, no usage"; fi

log "all fleet checks passed in $((SECONDS - STARTED))s"
