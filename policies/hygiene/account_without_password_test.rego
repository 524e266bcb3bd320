package imgaudit.rules.acc001_test

import data.imgaudit.rules.acc001
import rego.v1

passwd(line) := {"path": "/etc/passwd", "line": line, "layer": 0}

shadow(line) := {"path": "/etc/shadow", "line": line, "layer": 2, "history_step": 5, "created_by": "RUN useradd guest"}

user(name, uid, line, passwd_state, shadow_state) := {
	"name": name, "uid": uid, "origin": passwd(line),
	"passwd_password": {"state": passwd_state},
	"shadow": {"password": shadow_state, "origin": shadow(line)},
	"password": password(passwd_state, shadow_state),
}

password(passwd_state, shadow_state) := shadow_state if {
	passwd_state == "shadowed"
} else := {"state": passwd_state}

test_an_empty_shadow_password_is_a_finding if {
	findings := acc001.deny with input as {"users": [
		user("root", 0, 1, "shadowed", {"state": "locked", "marker": "*", "scheme": null}),
		user("guest", 1001, 3, "shadowed", {"state": "empty"}),
	]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "account guest (uid 1001) has an empty password in /etc/shadow line 3 (layer 2, history step 5: RUN useradd guest)")
	f.severity == "medium"
	f.locations == [shadow(3)]
}

test_an_empty_passwd_field_needs_no_shadow if {
	u := object.union(user("app", 1000, 2, "empty", null), {"shadow": null})
	some f in acc001.deny with input as {"users": [u]}
	contains(f.msg, "in /etc/passwd line 2 (layer 0)")
}

test_an_empty_root_password_is_worse if {
	some f in acc001.deny with input as {"users": [user("root", 0, 1, "shadowed", {"state": "empty"})]}
	f.severity == "high"
}

test_locked_hashed_and_unknown_passwords_pass if {
	users := [
		user("root", 0, 1, "shadowed", {"state": "locked", "marker": "!", "scheme": "$6$"}),
		user("daemon", 1, 2, "shadowed", {"state": "locked", "marker": "*", "scheme": null}),
		user("app", 1000, 3, "shadowed", {"state": "hash", "scheme": "$y$"}),
		user("nobody", 65534, 4, "locked", null),
		object.union(user("noshadow", 1001, 5, "shadowed", null), {"password": null, "shadow": null}),
	]
	count(acc001.deny) == 0 with input as {"users": users}
}
