package imgaudit.rules.file003_test

import data.imgaudit.rules.file003
import rego.v1

leftover(path, kind, path_kind) := {
	"path": path, "kind": kind, "path_kind": path_kind, "files": 3, "bytes": 1200, "layer": 2,
	"inside_dependency": null, "package": null,
	"origin": {"path": path, "layer": 2, "history_step": 4, "created_by": "COPY . /app"},
}

test_git_directory if {
	findings := file003.deny with input as {"leftovers": [leftover("/app/.git", "git", "dir")]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "/app/.git is a Git directory (3 files, 1200 bytes) (layer 2, history step 4: COPY . /app)")
	contains(f.msg, ".dockerignore")
}

test_env_file if {
	findings := file003.deny with input as {"leftovers": [leftover("/app/.env", "env", "file")]}
	some f in findings
	contains(f.msg, "/app/.env is an environment file")
	contains(f.msg, "(1200 bytes)")
	contains(f.msg, "RUN --mount=type=secret")
}

test_a_dependencys_own_leftovers_are_not_findings if {
	in_dep := object.union(leftover("/app/node_modules/x/.git", "git", "dir"), {"inside_dependency": "node_modules"})
	packaged := object.union(leftover("/usr/share/doc/x/.env", "env", "file"), {"package": {"manager": "dpkg", "name": "x"}})
	count(file003.deny) == 0 with input as {"leftovers": [in_dep, packaged]}
}

test_no_leftovers if {
	count(file003.deny) == 0 with input as {"leftovers": []}
}
