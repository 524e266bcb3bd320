# METADATA
# title: a version-control directory or `.env` file left from the build context
# description: >-
#   `COPY . .` brought a `.git`, `.svn`, `.hg` or `.bzr` directory, or a `.env` file, into the
#   image: the project's history, its remotes' URLs and often credentials, for anyone who pulls
#   the image.
# related_resources:
#   - https://docs.docker.com/build/concepts/context/#dockerignore-files
# custom:
#   id: FILE003
#   name: vcs-or-env-file-in-image
#   severity: medium
#   domains: [files]
#   aliases: [DKL-LI-0003]
#   remediation: >-
#     List `.git`, `.env` and `.env.*` (keeping the templates with `!.env.example`) in
#     `.dockerignore`, or copy only what the application needs; pass settings at run time and
#     secrets with `RUN --mount=type=secret`.
package imgaudit.rules.file003

import data.imgaudit.lib.describe
import rego.v1

deny contains finding if {
	some l in input.leftovers
	l.inside_dependency == null
	l.package == null
	finding := {
		"msg": sprintf("%s is %s%s%s. Add it to .dockerignore or copy only what the application needs; %s.", [l.path, what(l), size(l), describe.layer(l.origin), advice(l)]),
		"evidence": {"path": l.path, "kind": l.kind, "files": l.files, "bytes": l.bytes},
		"locations": [l.origin],
	}
}

what(l) := "a Git directory" if {
	l.kind == "git"
	l.path_kind == "dir"
} else := "a Git worktree or submodule link (.git file)" if {
	l.kind == "git"
} else := "a Subversion working copy directory" if {
	l.kind == "subversion"
} else := "a Mercurial repository" if {
	l.kind == "mercurial"
} else := "a Bazaar branch" if {
	l.kind == "bazaar"
} else := "an environment file (.env), which usually holds settings and secrets" if {
	l.kind == "env"
} else := "a direnv file (.envrc), which usually exports settings and secrets"

size(l) := sprintf(" (%d files, %d bytes)", [l.files, l.bytes]) if {
	l.path_kind == "dir"
} else := sprintf(" (%d bytes)", [l.bytes])

advice(l) := "pass settings at run time and secrets with RUN --mount=type=secret, and rotate any secret it held" if {
	l.kind in {"env", "envrc"}
} else := "its history and remote URLs stay in the image for anyone who pulls it"
