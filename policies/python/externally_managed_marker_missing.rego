# METADATA
# title: a distribution's Python lost its EXTERNALLY-MANAGED marker
# description: >-
#   The package that owns this interpreter ships a PEP 668 `EXTERNALLY-MANAGED` marker, but the
#   image no longer has it as a file, so pip installs over the distribution's packages without
#   a word.
# related_resources:
#   - https://peps.python.org/pep-0668/
#   - https://packaging.python.org/en/latest/specifications/externally-managed-environments/
# custom:
#   id: PY001
#   name: externally-managed-marker-missing
#   severity: medium
#   domains: [python]
#   remediation: >-
#     Do not delete the marker; install Python packages into a virtual environment, or pass
#     `--break-system-packages` to the one command that must write to the system Python.
package imgaudit.rules.py001

import data.imgaudit.lib.describe
import rego.v1

deny contains finding if {
	some p in input.pythons
	p.kind == "distro"
	p.marker.shipped_by != null
	p.marker.state != "present"
	finding := {
		"msg": sprintf("%s is shipped by %s but %s, so pip no longer refuses to install into %s's Python %s. Keep the marker and use a virtual environment instead.", [p.marker.path, p.marker.shipped_by, how_gone(p.marker), p.prefix, p.version]),
		"evidence": {"path": p.marker.path, "state": p.marker.state, "package": p.marker.shipped_by},
		"locations": [location(p.marker)],
	}
}

how_gone(m) := sprintf("layer %d removed it%s", [m.removed.layer, step(m.removed)]) if {
	m.state == "absent"
	m.removed.layer != null
} else := "it is missing" if {
	m.state == "absent"
} else := "it is a directory, which pip ignores" if {
	m.state == "directory"
} else := "it is a dangling link, which pip ignores"

step(origin) := sprintf(" (history step %d: %s)", [origin.history_step, origin.created_by]) if {
	origin.history_step != null
	origin.created_by
} else := ""

location(m) := m.removed if {
	m.removed != null
} else := m.origin
