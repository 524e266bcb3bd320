# METADATA
# title: a throw-away test rule reported on every image
# description: >-
#   Not a real check: imgaudit's end-to-end tests run once more with this directory as an extra
#   `--policy`, and a test that asserts on which rules fired must not notice it (it selects the
#   rule pack it is about).
# related_resources:
#   - https://www.openpolicyagent.org/docs/latest/policy-language/
# custom:
#   id: ZZZ999
#   name: fires-on-every-image
#   severity: critical
#   domains: [image]
#   remediation: Nothing to fix in the image; select the rules the test is about with --select.
package imgaudit.rules.zzz999

import rego.v1

deny contains finding if {
	input.image.config_digest
	finding := {
		"msg": sprintf("every image is reported by this throw-away test rule (this one is for %s).", [input.image.platform]),
		"evidence": {"platform": input.image.platform},
	}
}
