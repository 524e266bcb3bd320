# METADATA
# title: a world-writable file, or a world-writable directory without the sticky bit
# description: >-
#   Every user of the container can rewrite a world-writable file, and can delete or replace any
#   entry of a world-writable directory that lacks the sticky bit (`/tmp` has it).
# related_resources:
#   - https://man7.org/linux/man-pages/man1/chmod.1.html
# custom:
#   id: FILE002
#   name: world-writable-path
#   severity: low
#   domains: [files]
#   remediation: >-
#     Give the path to the user that writes it (`chown app` or `COPY --chown=app`) with mode 0644
#     for files and 0755 for directories, or add the sticky bit to a shared directory
#     (`chmod 1777`).
package imgaudit.rules.file002

import data.imgaudit.lib.describe
import rego.v1

deny contains finding if {
	some f in input.special_files
	f.world_writable
	what := flagged(f)
	finding := {
		"msg": sprintf("%s is %s (mode %s, owner %d:%d)%s: %s.%s", [f.path, what, f.mode, f.uid, f.gid, describe.layer(f.origin), consequence(f), fix(f)]),
		"evidence": {"path": f.path, "kind": f.kind, "mode": f.mode, "uid": f.uid, "gid": f.gid, "package": f.package},
		"locations": [f.origin],
	}
}

flagged(f) := "a world-writable file" if {
	f.kind == "file"
} else := "a world-writable directory without the sticky bit" if {
	f.kind == "dir"
	not f.sticky
}

consequence(f) := "any user of the container can change what it holds" if {
	f.kind == "file"
} else := "any user of the container can delete or replace what others put in it"

fix(f) := sprintf(" Give it to the user that writes it with mode 0644 (chmod o-w %s, or COPY --chown=USER), in the same RUN that creates it.", [f.path]) if {
	f.kind == "file"
} else := sprintf(" Give it to the user that writes it (chmod o-w %s), or add the sticky bit if every user must write there (chmod +t %s).", [f.path, f.path])
