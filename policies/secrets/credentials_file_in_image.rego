# METADATA
# title: a credential is stored in a file of the image
# description: >-
#   A file of the final tree holds a credential: a Docker client config with a registry `auth`
#   or identity token, an `.npmrc` auth token or password, a `.pypirc` or `.netrc` password, a
#   URL with a password in `.git-credentials`, an AWS secret access key, a kubeconfig token,
#   client key or password; or a token of a known vendor format (GitHub, GitLab, Slack, npm,
#   PyPI, AWS, Google, Stripe, OpenAI, Anthropic, Hugging Face, Docker Hub, DigitalOcean) in any
#   text file. Empty `auths`, credential helpers and `${VAR}` references are not credentials.
# related_resources:
#   - https://docs.docker.com/build/building/secrets/
#   - https://docs.docker.com/build/building/multi-stage/
# custom:
#   id: SEC002
#   name: credentials-file-in-image
#   severity: critical
#   domains: [secrets]
#   remediation: >-
#     Rotate the credential now. Pass it at build time with `RUN --mount=type=secret` (it is
#     never written to a layer), or use it in an earlier stage of a multi-stage build and copy
#     only the artifacts; give it to the container at run time from a secret store.
package imgaudit.rules.sec002

import data.imgaudit.lib.describe
import rego.v1

deny contains finding if {
	some f in input.secret_files
	f.category in {"credential-file", "token"}
	f.in_final_tree
	not f.fixture
	finding := {
		"msg": sprintf("%s line %d%s holds a credential (%s: %s, shown as %s); anyone who can pull the image can read it. Rotate it and pass it at build time with RUN --mount=type=secret, or use it only in an earlier stage of a multi-stage build.", [f.path, f.line, describe.layer(f.origin), f.detector, f.description, shown(f.shown)]),
		# A token found by its format alone, in a file not made for credentials, may be a sample.
		"precision": precision(f),
		"evidence": {"path": f.path, "line": f.line, "detector": f.detector, "category": f.category, "shown": f.shown},
		"locations": [f.origin],
	}
}

precision(f) := "high" if {
	f.category == "credential-file"
} else := "medium"

shown(s) := sprintf("%s… (%d chars, sha256 %s)", [s.prefix, s.length, s.hash])
