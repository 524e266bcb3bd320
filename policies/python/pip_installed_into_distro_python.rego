# METADATA
# title: pip installed packages into a distribution's Python
# description: >-
#   Distributions whose `INSTALLER` is pip sit in a distribution-managed interpreter's
#   dist-packages: the trace of `--break-system-packages`, a removed marker, or an old pip.
# related_resources:
#   - https://peps.python.org/pep-0668/
# custom:
#   id: PY004
#   name: pip-installed-into-distro-python
#   severity: medium
#   domains: [python]
#   remediation: >-
#     Install these packages into a virtual environment, or use the distribution's packages
#     (`apt install python3-<name>`).
package imgaudit.rules.py004

import rego.v1

deny contains finding if {
	some p in input.pythons
	p.kind == "distro"
	guarded(p)
	some site in p.site_packages
	names := sort([sprintf("%s %s", [d.name, d.version]) | some d in site.distributions; by_pip(d)])
	count(names) > 0
	finding := {
		"msg": sprintf("pip installed %d distribution(s) into %s, a dist-packages of the distribution's Python %s%s: %s. They shadow or break what the package manager installed.", [count(names), site.path, p.version, marker_note(p), first_ten(names)]),
		"evidence": {"path": site.path, "distributions": names},
		"locations": [first_origin(site)],
	}
}

# Only where the distribution guards its Python with a PEP 668 marker is a pip install there
# the trace of a bypass; on older releases (Debian 11, Ubuntu 22.04) it is ordinary.
guarded(p) if p.marker.state == "present"

guarded(p) if p.marker.shipped_by != null

# Installed by pip, and not a package's own files (some distributions build with pip).
by_pip(d) if {
	d.installer == "pip"
	object.get(d, "owned_by_package", null) == null
}

first_ten(names) := sprintf("%s and %d more", [concat(", ", array.slice(names, 0, 10)), count(names) - 10]) if {
	count(names) > 10
} else := concat(", ", names)

marker_note(p) := " although its EXTERNALLY-MANAGED marker is present (so the guard was bypassed)" if {
	p.marker.state == "present"
} else := ""

# The record of the first pip-installed distribution, for its layer and step.
first_origin(site) := [d.origin | some d in site.distributions; by_pip(d)][0]
