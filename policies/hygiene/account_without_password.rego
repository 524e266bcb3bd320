# METADATA
# title: an account has an empty password
# description: >-
#   An account's password field (in `/etc/shadow`, or in `/etc/passwd` when that does not say
#   `x`) is empty: where empty passwords are accepted (`su`, `login`, PAM's `nullok`), anyone can
#   become that account without a password.
# related_resources:
#   - https://man7.org/linux/man-pages/man5/shadow.5.html
#   - https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md#dkl-li-0001
# custom:
#   id: ACC001
#   name: account-without-password
#   severity: medium
#   domains: [accounts]
#   aliases: [DKL-LI-0001]
#   remediation: >-
#     Lock the account in the same `RUN` that creates it (`passwd -l NAME`, or `usermod -L NAME`),
#     or delete it (`userdel NAME`); accounts a container needs have no use for a password.
package imgaudit.rules.acc001

import rego.v1

deny contains finding if {
	some u in input.users
	u.password.state == "empty"
	origin := where(u)
	finding := {
		"msg": sprintf("account %s (uid %d) has an empty password in %s line %d%s: anyone who can run `su %s` in the container becomes it without a password. Lock it with `passwd -l %s` (or delete it) in the Dockerfile.", [u.name, u.uid, origin.path, origin.line, layer(origin), u.name, u.name]),
		"severity": severity(u),
		"evidence": {"path": origin.path, "account": u.name, "uid": u.uid},
		"locations": [origin],
	}
}

# The field that is empty: the shadow entry's when passwd defers to it.
where(u) := u.shadow.origin if {
	u.passwd_password.state == "shadowed"
} else := u.origin

# An empty root password lets any process of the container become root.
severity(u) := "high" if {
	u.uid == 0
} else := "medium"

layer(origin) := sprintf(" (layer %d%s)", [origin.layer, step(origin)]) if {
	origin.layer != null
} else := ""

step(origin) := sprintf(", history step %d: %s", [origin.history_step, origin.created_by]) if {
	origin.history_step != null
	origin.created_by
} else := ""
