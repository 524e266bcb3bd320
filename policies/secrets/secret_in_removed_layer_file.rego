# METADATA
# title: a secret is still in a layer although a later layer deleted it
# description: >-
#   A private key or credential was written to a file in one layer and deleted (or overwritten)
#   by a later one. It is gone from the container's filesystem but not from the image: every
#   layer is a tar file that anyone who can pull the image can unpack.
# related_resources:
#   - https://docs.docker.com/build/building/secrets/
#   - https://docs.docker.com/build/building/multi-stage/
# custom:
#   id: SEC004
#   name: secret-in-removed-layer-file
#   severity: high
#   domains: [secrets]
#   remediation: >-
#     Rotate the credential. Deleting a file in a later `RUN` never removes it from the image:
#     use `RUN --mount=type=secret` so that it is never written to a layer, or use it in an
#     earlier stage of a multi-stage build and copy only the artifacts.
package imgaudit.rules.sec004

import data.imgaudit.lib.describe
import rego.v1

deny contains finding if {
	some f in input.secret_files
	not f.in_final_tree
	not f.fixture
	# The same secret still in the final tree is SEC001's or SEC002's finding.
	not in_final_tree(f.shown)
	finding := {
		"msg": sprintf("%s line %d%s holds a %s (%s, shown as %s) that %s removed; it is still in the image for anyone who pulls it. Rotate it, and pass it with RUN --mount=type=secret or use it only in an earlier stage of a multi-stage build.", [f.path, f.line, describe.layer(f.origin), noun(f), f.detector, shown(f.shown), remover(f)]),
		"evidence": {"path": f.path, "line": f.line, "detector": f.detector, "category": f.category, "shown": f.shown, "removed_by": f.removed_by},
		"locations": [f.origin],
	}
}

in_final_tree(shown) if {
	some other in input.secret_files
	other.in_final_tree
	other.shown == shown
}

noun(f) := "private key" if {
	f.category == "private-key"
} else := "credential"

remover(f) := sprintf("layer %d%s", [f.removed_by.layer, describe.step_suffix(f.removed_by)]) if {
	f.removed_by != null
} else := "a later layer"

shown(s) := sprintf("%s… (%d chars, sha256 %s)", [s.prefix, s.length, s.hash])
