# METADATA
# title: a secret is set in the image's environment
# description: >-
#   The config's `Env` holds a token of a known format, a URL with a password, or a variable
#   named like a password, secret, token or API key with a literal value that looks like one:
#   anyone who can pull the image reads it with `docker inspect`, and every process of the
#   container inherits it.
# related_resources:
#   - https://docs.docker.com/build/building/secrets/
#   - https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md#cis-di-0010
# custom:
#   id: SEC003
#   name: secret-in-env
#   severity: critical
#   domains: [secrets]
#   aliases: [CIS-DI-0010]
#   remediation: >-
#     Rotate the credential now, and remove the `ENV`: give the secret to the build with
#     `RUN --mount=type=secret`, and to the container at run time (an orchestrator secret mounted
#     as a file, with `*_FILE` variables pointing at it).
package imgaudit.rules.sec003

import rego.v1

deny contains finding if {
	some s in input.secret_env
	finding := {
		"msg": sprintf("the image's Env sets %s to %s%s (%s, shown masked); anyone who can pull the image can read it. Rotate it, remove the ENV and pass it at run time (a mounted secret file) or at build time with RUN --mount=type=secret.", [s.name, what(s), step(s.origin), shown(s.shown)]),
		"severity": severity(s),
		"precision": precision(s),
		"evidence": {"variable": s.name, "source": "env", "detector": s.detector, "shown": s.shown},
		"locations": [s.origin],
	}
}

what(s) := "a value its name says is a secret" if {
	s.detector == "secret-assignment"
} else := sprintf("a credential (%s)", [s.detector])

# A token of a documented format is certain; a value judged by its variable's name is not.
severity(s) := "high" if {
	s.detector == "secret-assignment"
} else := "critical"

precision(s) := "medium" if {
	s.detector == "secret-assignment"
} else := "high"

shown(x) := sprintf("%s… %d chars, sha256 %s", [x.prefix, x.length, x.hash])

step(origin) := sprintf(" (history step %d: %s)", [origin.history_step, origin.created_by]) if {
	origin.history_step != null
	origin.created_by
} else := ""
