# METADATA
# title: a credential is recorded in the image's build history
# description: >-
#   A history step's `created_by` holds a credential: a build argument that builders record in
#   front of each `RUN` (`|1 TOKEN=…`), a URL with a password, `-u user:pass`, `--password …`, or
#   an `ARG` default. The history ships with the image: anyone who pulls it reads it.
# related_resources:
#   - https://docs.docker.com/build/building/secrets/
#   - https://docs.docker.com/reference/dockerfile/#arg
# custom:
#   id: SEC005
#   name: secret-in-build-history
#   severity: critical
#   domains: [secrets]
#   remediation: >-
#     Rotate the credential now. Pass it with `RUN --mount=type=secret,id=…` (BuildKit, buildah,
#     podman) instead of a build argument or a literal in the command, and rebuild: the old image's
#     history keeps it for as long as the image exists.
package imgaudit.rules.sec005

import rego.v1

deny contains finding if {
	some s in input.secret_history
	finding := {
		"msg": sprintf("history step %d records %s (%s, shown masked)%s; anyone who can pull the image reads it with `docker history --no-trunc`. Rotate it and pass it with RUN --mount=type=secret instead.", [s.origin.history_step, what(s), shown(s.shown), others(s)]),
		"severity": severity(s),
		"precision": precision(s),
		"evidence": evidence(s),
		"locations": [s.origin],
	}
}

what(s) := sprintf("the build argument %s%s", [s.variable, used(s)]) if {
	s.kind == "build_arg"
} else := sprintf("a credential (%s) in its command: %s", [s.detector, s.origin.created_by]) if {
	s.origin.created_by
} else := sprintf("a credential (%s) in its command", [s.detector])

used(s) := ", which a RUN reads" if {
	s.used
} else := ""

# ` (also in steps 5, 7)` when later steps record the same value.
others(s) := sprintf(" (also in steps %s)", [concat(", ", [sprintf("%d", [n]) | some n in array.slice(s.steps, 1, count(s.steps))])]) if {
	count(s.steps) > 1
} else := ""

# A command's credential has no variable: the evidence then names none (an empty one would
# show as `$` in the reports).
evidence(s) := object.union(base, {"variable": s.variable}) if {
	base := {"kind": s.kind, "detector": s.detector, "shown": s.shown, "steps": s.steps}
	s.variable != null
} else := {"kind": s.kind, "detector": s.detector, "shown": s.shown, "steps": s.steps}

severity(s) := "high" if {
	s.detector == "secret-assignment"
} else := "critical"

precision(s) := "medium" if {
	s.detector == "secret-assignment"
} else := "high"

shown(x) := sprintf("%s… %d chars, sha256 %s", [x.prefix, x.length, x.hash])
