package imgaudit.rules.acc002_test

import data.imgaudit.rules.acc002
import rego.v1

origin(line) := {"path": "/etc/passwd", "line": line, "layer": 0}

shared(uid, accounts, lines, n) := {"uid": uid, "count": n, "accounts": accounts, "origins": [origin(l) | some l in lines]}

test_a_second_root_account_is_high if {
	findings := acc002.deny with input as {"shared_uids": [shared(0, ["root", "toor"], [1, 9], 2)]}
	count(findings) == 1
	some f in findings
	startswith(f.msg, "2 accounts have uid 0: root (/etc/passwd line 1), toor (/etc/passwd line 9). Every one of them is root")
	f.severity == "high"
	f.locations == [origin(1), origin(9)]
}

test_other_shared_uids_are_medium_one_finding_per_uid if {
	findings := acc002.deny with input as {"shared_uids": [
		shared(1000, ["app", "web", "api"], [3, 4, 5], 3),
		shared(2000, ["a", "b"], [6, 7], 2),
	]}
	count(findings) == 2
	some f in findings
	f.evidence.uid == 1000
	f.evidence.accounts == ["app", "web", "api"]
	f.severity == "medium"
	startswith(f.msg, "3 accounts have uid 1000: app (/etc/passwd line 3), web (/etc/passwd line 4), api (/etc/passwd line 5). The kernel sees one user")
}

test_a_long_list_says_how_many_more if {
	some f in acc002.deny with input as {"shared_uids": [shared(7, ["a", "b"], [1, 2], 40)]}
	contains(f.msg, "a (/etc/passwd line 1), b (/etc/passwd line 2) and 38 more.")
}

test_distinct_uids_pass if {
	count(acc002.deny) == 0 with input as {"shared_uids": []}
}
