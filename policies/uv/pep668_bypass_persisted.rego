# METADATA
# title: uv's PEP 668 guard is turned off for every later install
# description: >-
#   `UV_BREAK_SYSTEM_PACKAGES` with a true value, or `break-system-packages = true` in a uv
#   configuration file uv reads, stays in the image and lets every later `uv pip install
#   --system` overwrite the packages of the distribution's Python.
# related_resources:
#   - https://peps.python.org/pep-0668/
#   - https://docs.astral.sh/uv/reference/environment/#uv_break_system_packages
# custom:
#   id: UV002
#   name: uv-pep668-bypass-persisted
#   severity: high
#   domains: [python, python_tools]
#   remediation: >-
#     Pass `--break-system-packages` to the one `uv pip install` that needs it (or better, install
#     into a virtual environment made with `uv venv`) instead of setting it for the whole image.
package imgaudit.rules.uv002

import data.imgaudit.lib.uv
import rego.v1

deny contains finding if {
	some s in uv.counting
	s.option == "break-system-packages"
	s.parsed == "true"
	finding := {
		"msg": sprintf("%s in %s turns off uv's PEP 668 guard (EXTERNALLY-MANAGED) for every later `uv pip install --system`%s. Pass --break-system-packages to the one command that needs it, or use a virtual environment (`uv venv`).", [uv.setting(s), uv.source(s), guarded(s)]),
		"severity": severity(s),
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id},
		"locations": [s.origin],
	}
}

guarded(s) := sprintf(": %s", [uv.outcomes(s)]) if {
	count(s.outcomes) > 0
} else := ""

# Without a marked interpreter nothing is unguarded yet; the setting waits for images built
# FROM this one.
severity(s) := "high" if {
	count(s.outcomes) > 0
} else := "medium"
