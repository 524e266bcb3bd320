package imgaudit.rules.acc002_test

import data.imgaudit.rules.acc002
import rego.v1

user(name, uid, line) := {"name": name, "uid": uid, "origin": {"path": "/etc/passwd", "line": line, "layer": 0}}

test_a_second_root_account_is_high if {
	findings := acc002.deny with input as {"users": [user("root", 0, 1), user("daemon", 1, 2), user("toor", 0, 9)]}
	count(findings) == 1
	some f in findings
	startswith(f.msg, "2 accounts have uid 0: root (/etc/passwd line 1), toor (/etc/passwd line 9). Every one of them is root")
	f.severity == "high"
	count(f.locations) == 2
}

test_other_shared_uids_are_medium_one_finding_per_uid if {
	findings := acc002.deny with input as {"users": [
		user("app", 1000, 3), user("web", 1000, 4), user("api", 1000, 5),
		user("a", 2000, 6), user("b", 2000, 7),
	]}
	count(findings) == 2
	some f in findings
	f.evidence.uid == 1000
	f.evidence.accounts == ["app", "web", "api"]
	f.severity == "medium"
}

test_distinct_uids_pass if {
	count(acc002.deny) == 0 with input as {"users": [user("root", 0, 1), user("app", 1000, 2)]}
	count(acc002.deny) == 0 with input as {"users": []}
}
