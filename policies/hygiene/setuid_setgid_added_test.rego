package imgaudit.rules.file001_test

import data.imgaudit.rules.file001
import rego.v1

record(path, mode, setuid, setgid, pkg, changed) := {
	"path": path, "kind": "file", "mode": mode, "setuid": setuid, "setgid": setgid,
	"sticky": false, "world_writable": false, "uid": 0, "gid": 0, "layer": 2,
	"package": pkg, "changed_after_install": changed, "changed_how": how(changed),
	"statoverride": null, "ownership_unknown": false, "origin": {"path": path, "layer": 2, "history_step": 3, "created_by": "RUN chmod 4755 /opt/tool"},
}

how(true) := "layer 2 wrote it after layer 0 last wrote the dpkg record of login"

how(false) := "last written by layer 0, no later than the dpkg record of login (layer 0)"

how(null) := null

login := {"manager": "dpkg", "name": "login", "record_layer": 0, "recorded_mode": null}

db(read) := {"databases": [{"manager": "dpkg", "ownership_read": true}], "statoverrides": []} if read

else := {"databases": [{"manager": "rpm", "ownership_read": false}], "statoverrides": []}

test_setuid_file_no_package_installed if {
	findings := file001.deny with input as {"special_files": [record("/opt/tool", "4755", true, false, null, null)], "package_db": db(true)}
	count(findings) == 1
	some f in findings
	contains(f.msg, "/opt/tool is setuid (mode 4755")
	contains(f.msg, "no package installed it (layer 2, history step 3: RUN chmod 4755 /opt/tool)")
	contains(f.msg, "chmod u-s /opt/tool")
	not contains(f.msg, "rpm")
}

test_distribution_setuid_programs_are_not_findings if {
	files := [
		record("/usr/bin/su", "4755", true, false, login, false),
		record("/usr/bin/passwd", "4755", true, false, object.union(login, {"name": "passwd"}), false),
		record("/usr/bin/chage", "2755", false, true, object.union(login, {"name": "passwd"}), false),
	]
	count(file001.deny) == 0 with input as {"special_files": files, "package_db": db(true)}
}

test_a_packaged_program_the_image_changed_is_a_finding if {
	findings := file001.deny with input as {"special_files": [record("/usr/bin/su", "6755", true, true, login, true)], "package_db": db(true)}
	some f in findings
	contains(f.msg, "setuid and setgid")
	contains(f.msg, "the image changed it after package login installed it: layer 2 wrote it")
	contains(f.msg, "chmod u-s,g-s")
}

test_world_writable_files_and_directories_are_not_this_rule if {
	ww := object.union(record("/opt/data", "0777", false, false, null, null), {"world_writable": true})
	dir := object.union(ww, {"kind": "dir", "path": "/opt/dir", "setgid": true, "mode": "2777"})
	count(file001.deny) == 0 with input as {"special_files": [ww, dir], "package_db": db(true)}
}

test_a_file_an_unread_rpm_database_may_own_is_not_judged if {
	unknown := object.union(record("/usr/bin/su", "4755", true, false, null, null), {"ownership_unknown": true})
	count(file001.deny) == 0 with input as {"special_files": [unknown], "package_db": db(false)}
}

test_a_file_written_after_the_last_rpm_transaction_is_a_finding if {
	findings := file001.deny with input as {"special_files": [record("/opt/tool", "4755", true, false, null, null)], "package_db": db(false)}
	some f in findings
	contains(f.msg, "no package installed it (a layer wrote it after the last rpm transaction)")
}
