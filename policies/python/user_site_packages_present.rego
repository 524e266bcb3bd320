# METADATA
# title: a user site-packages directory is baked into the image
# description: >-
#   `~/.local/lib/pythonX.Y/site-packages` (or the one under `PYTHONUSERBASE`) holds packages,
#   and every Python of that version run by that user imports them before its own.
# related_resources:
#   - https://docs.python.org/3/library/site.html
#   - https://peps.python.org/pep-0370/
# custom:
#   id: PY002
#   name: user-site-packages-present
#   severity: medium
#   domains: [python]
#   remediation: >-
#     Install into the environment the application runs in (a virtual environment, or the
#     image's Python), and make sure nothing sets PIP_USER or PIP_NO_USER. If the user site must
#     stay, set PYTHONNOUSERSITE=1 for the programs that should not see it.
package imgaudit.rules.py002

import rego.v1

deny contains finding if {
	some site in input.user_sites
	site.entries > 0
	names := sort([sprintf("%s %s", [d.name, d.version]) | some d in site.distributions])
	finding := {
		"msg": sprintf("%s is a user site with %s%s, %s.", [site.path, entries(site.entries), listing(names), effect(site)]),
		"severity": severity,
		"evidence": {"path": site.path, "distributions": names},
		"locations": [site.origin],
	}
}

effect(site) := sprintf("which PYTHONNOUSERSITE=%s hides from Python in this image's environment, but not from programs started without it", [input.runtime.python_no_user_site]) if {
	input.runtime.user_site_disabled
} else := sprintf("imported before the site-packages of every Python %s run %s", [site.python_version, whom(site)])

# Hidden by PYTHONNOUSERSITE, it is a stray directory rather than an active one.
severity := "low" if input.runtime.user_site_disabled

else := "medium"

entries(1) := "1 entry"

entries(n) := sprintf("%d entries", [n]) if n != 1

# The first ten in the message; all of them in the evidence.
listing(names) := sprintf(" (%s and %d more)", [concat(", ", array.slice(names, 0, 10)), count(names) - 10]) if {
	count(names) > 10
} else := sprintf(" (%s)", [concat(", ", names)]) if {
	count(names) > 0
} else := ""

whom(site) := sprintf("as %s", [site.user]) if {
	site.user != null
} else := "with this user base"
