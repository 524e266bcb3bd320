# METADATA
# title: two accounts share a uid
# description: >-
#   Two or more `/etc/passwd` accounts have the same uid: the kernel knows only the number, so
#   they are one account with several names, passwords and shells. A second account with uid 0 is
#   a second root.
# related_resources:
#   - https://man7.org/linux/man-pages/man5/passwd.5.html
#   - https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md#dkl-li-0002
# custom:
#   id: ACC002
#   name: duplicate-uid
#   severity: medium
#   domains: [accounts]
#   aliases: [DKL-LI-0002]
#   remediation: >-
#     Give each account its own uid (`useradd --uid`), and delete extra uid-0 accounts
#     (`userdel toor`); to let a program act as root, use capabilities or a setuid helper, never a
#     second root account.
package imgaudit.rules.acc002

import rego.v1

deny contains finding if {
	some shared in input.shared_uids
	names := [sprintf("%s (/etc/passwd line %d)", [name, shared.origins[i].line]) | some i, name in shared.accounts]
	finding := {
		"msg": sprintf("%d accounts have uid %d: %s%s. %s", [shared.count, shared.uid, concat(", ", names), more(shared), advice(shared.uid)]),
		"severity": severity(shared.uid),
		"evidence": {"path": "/etc/passwd", "uid": shared.uid, "accounts": shared.accounts},
		"locations": shared.origins,
	}
}

# ` and 3 more` when the facts list only the first accounts.
more(shared) := sprintf(" and %d more", [shared.count - count(shared.accounts)]) if {
	shared.count > count(shared.accounts)
} else := ""

advice(uid) := "Every one of them is root: delete the extra accounts (`userdel`) rather than hide root under another name." if {
	uid == 0
} else := "The kernel sees one user: files and processes of one are the other's. Give each account its own uid."

severity(uid) := "high" if {
	uid == 0
} else := "medium"
