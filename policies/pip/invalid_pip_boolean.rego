# METADATA
# title: a pip setting has a value pip cannot read as a boolean
# description: >-
#   `PIP_USER`, `PIP_NO_USER`, `PIP_BREAK_SYSTEM_PACKAGES` (or `user`, `no-user`,
#   `break-system-packages` in a pip config file) hold a value that is neither true nor false
#   for pip, so every `pip install` aborts before doing anything.
# related_resources:
#   - https://pip.pypa.io/en/stable/topics/configuration/
# custom:
#   id: PIP002
#   name: invalid-pip-boolean
#   severity: high
#   domains: [python]
#   remediation: >-
#     Use one of 1/0, true/false, yes/no, on/off (any case), or remove the setting. Environment
#     values are not trimmed: ` 1` is invalid.
package imgaudit.rules.pip002

import data.imgaudit.lib.describe
import rego.v1

deny contains finding if {
	some s in describe.effective_settings
	s.option in {"user", "no-user", "break-system-packages"}
	s.parsed == "invalid"
	finding := {
		"msg": sprintf("%s in %s is not a boolean pip understands: every `pip install` stops with \"%s is not a valid value for %s option\" (exit 2). Use 1/0, true/false, yes/no or on/off, or remove it.", [describe.setting(s), describe.source(s), s.value, s.option]),
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id},
		"locations": [s.origin],
	}
}
