# METADATA
# title: a package index URL with credentials is stored in the image
# description: >-
#   `PIP_INDEX_URL`, `PIP_EXTRA_INDEX_URL`, or `index-url`/`extra-index-url` in a pip config file
#   carry a password or token that anyone who can pull the image can read.
# related_resources:
#   - https://pip.pypa.io/en/stable/topics/authentication/
#   - https://docs.docker.com/build/building/secrets/
# custom:
#   id: PIP004
#   name: index-credentials-in-image
#   severity: critical
#   domains: [python]
#   remediation: >-
#     Rotate the credential now. Pass it at build time as a build secret (`RUN --mount=type=secret`)
#     or use a keyring or `.netrc` that is not part of the image.
package imgaudit.rules.pip004

import data.imgaudit.lib.describe
import rego.v1

# Unlike the other rules, every source counts: a hidden or overridden setting still leaks.
deny contains finding if {
	some s in input.pip_settings
	s.option in {"index-url", "extra-index-url"}
	s.has_credentials
	finding := {
		"msg": sprintf("%s in %s holds a credential for the package index (shown redacted); anyone who can pull the image can read it. Rotate it and pass it as a build secret instead.", [describe.setting(s), describe.source(s)]),
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id},
		"locations": [s.origin],
	}
}
