# METADATA
# title: a uv index credential is stored in the image
# description: >-
#   `UV_INDEX_URL`, `UV_EXTRA_INDEX_URL`, `UV_INDEX`, `UV_DEFAULT_INDEX`,
#   `UV_INDEX_<NAME>_PASSWORD`, or an index URL in a uv configuration file carries a password or
#   token that anyone who can pull the image can read.
# related_resources:
#   - https://docs.astral.sh/uv/concepts/authentication/
#   - https://docs.docker.com/build/building/secrets/
# custom:
#   id: UV003
#   name: uv-index-credentials-in-image
#   severity: critical
#   domains: [python, python_tools]
#   remediation: >-
#     Rotate the credential now. Pass it at build time as a build secret
#     (`RUN --mount=type=secret,id=uvpass,env=UV_INDEX_PRIVATE_PASSWORD uv sync`) so no layer and no
#     `ENV` keeps it.
package imgaudit.rules.uv003

import data.imgaudit.lib.uv
import rego.v1

# Unlike the other uv rules, every source counts: a hidden or overridden setting still leaks.
deny contains finding if {
	some s in input.tool_settings
	s.tool == "uv"
	s.option in {"index-url", "extra-index-url", "index", "default-index", "index-password"}
	s.has_credentials
	finding := {
		"msg": sprintf("%s in %s holds a credential for a package index (shown redacted); anyone who can pull the image can read it. Rotate it and pass it as a build secret instead.", [uv.setting(s), uv.source(s)]),
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id},
		"locations": [s.origin],
	}
}
