# METADATA
# title: the PEP 668 guard is turned off for every later pip run
# description: >-
#   `PIP_BREAK_SYSTEM_PACKAGES` with a true value, or `break-system-packages = true` in a pip
#   config file, stays in the image and lets every later `pip install` overwrite the packages
#   of the distribution's Python.
# related_resources:
#   - https://peps.python.org/pep-0668/
#   - https://pip.pypa.io/en/stable/cli/pip_install/#cmdoption-break-system-packages
# custom:
#   id: PIP003
#   name: pep668-bypass-persisted
#   severity: medium
#   domains: [python]
#   remediation: >-
#     Pass `--break-system-packages` to the one `pip install` that needs it (or better, install
#     into a virtual environment) instead of setting it for the whole image.
package imgaudit.rules.pip003

import data.imgaudit.lib.describe
import rego.v1

deny contains finding if {
	some s in describe.effective_settings
	s.option == "break-system-packages"
	s.effect == "bypass_pep668"
	finding := {
		"msg": sprintf("%s in %s turns off the PEP 668 guard (EXTERNALLY-MANAGED) for every later `pip install`%s. Pass --break-system-packages to the one command that needs it, or use a virtual environment.", [describe.setting(s), describe.source(s), guarded]),
		"severity": severity,
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id},
		"locations": [s.origin],
	}
}

# Without a marked interpreter nothing is unguarded yet; the setting still waits for the
# images built FROM this one (and for a distribution Python installed later).
severity := "medium" if {
	count(marked) > 0
} else := "low"

# Which marked interpreters lose their guard, when the image has any.
guarded := sprintf(", which protects %s", [concat(", ", sort(marked))]) if {
	count(marked) > 0
} else := ""

marked contains p.prefix if {
	some p in input.pythons
	p.marker.state == "present"
}
