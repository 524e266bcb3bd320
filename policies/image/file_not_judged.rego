# METADATA
# title: a file the rules read could not be judged
# description: >-
#   A file that the facts read (a pip config, a shell start-up file, `/etc/passwd`...) is in the
#   image but its content could not be read: larger than the capture limit, behind links that
#   loop, or reached through a link in an image read from a stream. Every rule that judges it
#   may be missing a finding.
# related_resources:
#   - https://man7.org/linux/man-pages/man7/path_resolution.7.html
# custom:
#   id: AUD001
#   name: file-not-judged
#   severity: high
#   domains: [image]
#   remediation: >-
#     Give imgaudit the image as a file (`docker save -o`, an OCI layout) rather than a stream,
#     keep configuration files small, and fix link loops; or, once you have checked the file by
#     hand, disable or suppress this finding for that path.
package imgaudit.rules.aud001

import rego.v1

deny contains finding if {
	some u in input.unjudged
	finding := {
		"msg": sprintf("%s%s could not be judged: %s. The %s facts are incomplete, so rules that read them may miss findings.", [u.path, leads_to(u), u.detail, u.needed_by]),
		"evidence": {"path": u.path, "resolved": u.resolved, "reason": u.reason, "needed_by": u.needed_by},
		"locations": [u.origin],
	}
}

# ` (-> /opt/conf/pip.conf)` when links lead elsewhere.
leads_to(u) := sprintf(" (-> %s)", [u.resolved]) if {
	u.resolved != null
} else := ""
