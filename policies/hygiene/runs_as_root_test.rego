package imgaudit.rules.img001_test

import data.imgaudit.rules.img001
import rego.v1

root := {"name": "root", "uid": 0, "runtime": true, "origin": {"path": "/etc/passwd", "line": 1, "layer": 0}}

app := {"name": "app", "uid": 1000, "runtime": false, "origin": {"path": "/etc/passwd", "line": 2, "layer": 1}}

doc(user, uid, name, users, origin) := {
	"image": {"user": user},
	"runtime": {"uid": uid, "is_root": uid == 0, "user_name": name, "origin": origin},
	"users": users,
}

no_step := {"history_step": null}

user_step(n, text) := {"history_step": n, "created_by": text}

test_no_user_is_root if {
	findings := img001.deny with input as doc("", 0, "root", [root, app], no_step)
	count(findings) == 1
	some f in findings
	startswith(f.msg, "the image config sets no User, so the container runs as root (uid 0).")
	f.locations == [root.origin]
}

test_root_by_name_number_and_group if {
	every user in ["root", "0", "0:0", "root:app"] {
		some f in img001.deny with input as doc(user, 0, "root", [root], user_step(4, "USER root"))
		contains(f.msg, sprintf("the config's User is `%s`, so the container runs as root (uid 0) (history step 4: USER root)", [user]))
		f.locations == [user_step(4, "USER root")]
	}
}

test_a_name_mapped_to_uid_0_is_root if {
	toor := {"name": "toor", "uid": 0, "runtime": true, "origin": {"path": "/etc/passwd", "line": 7}}
	findings := img001.deny with input as doc("toor", 0, "toor", [object.union(root, {"runtime": false}), toor], user_step(3, "USER toor"))
	some f in findings
	contains(f.msg, "the config's User `toor` is uid 0 in /etc/passwd line 7")
}

test_non_root_users_pass if {
	count(img001.deny) == 0 with input as doc("app", 1000, "app", [root, app], user_step(3, "USER app"))
	count(img001.deny) == 0 with input as doc("10001:10001", 10001, null, [root], user_step(3, "USER 10001:10001"))
}

test_a_user_the_runtime_cannot_find_is_not_root if {
	d := object.union(doc("ghost", null, null, [root], no_step), {"runtime": {"is_root": false, "uid": null, "start_refused": "unable to find user ghost"}})
	count(img001.deny) == 0 with input as d
}
