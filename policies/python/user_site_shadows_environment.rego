# METADATA
# title: a package in a user site shadows another version of itself
# description: >-
#   A distribution in a user site has a different version than the same distribution in an
#   environment that puts that user site first on its path, so the environment's own copy is
#   never imported.
# related_resources:
#   - https://docs.python.org/3/library/site.html
# custom:
#   id: PY003
#   name: user-site-shadows-environment
#   severity: high
#   domains: [python]
#   remediation: >-
#     Remove the user-site copy (and whatever put it there), or set PYTHONNOUSERSITE=1 for
#     the environment's programs.
package imgaudit.rules.py003

import rego.v1

deny contains finding if {
	some s in input.shadowed_distributions
	p := input.pythons[s.python]
	finding := {
		"msg": sprintf("%s %s in %s shadows %s %s in %s: the %s Python at %s imports the user-site copy first.", [s.name, s.user_version, s.user_site, s.name, s.environment_version, s.environment_path, p.kind, p.prefix]),
		"evidence": {"path": sprintf("%s/%s", [s.user_site, s.name]), "distribution": s.name, "user_version": s.user_version, "environment_version": s.environment_version, "user_site": s.user_site, "environment": s.environment_path},
		"locations": [s.user_origin],
	}
}
