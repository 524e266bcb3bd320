package imgaudit.rules.file002_test

import data.imgaudit.rules.file002
import rego.v1

record(path, kind, mode, sticky) := {
	"path": path, "kind": kind, "mode": mode, "setuid": false, "setgid": false,
	"sticky": sticky, "world_writable": true, "uid": 0, "gid": 0, "layer": 1, "package": null,
	"origin": {"path": path, "layer": 1, "history_step": 2, "created_by": "RUN chmod 777 /srv"},
}

test_world_writable_file if {
	findings := file002.deny with input as {"special_files": [record("/app/config.yml", "file", "0666", false)]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "/app/config.yml is a world-writable file (mode 0666, owner 0:0) (layer 1, history step 2: RUN chmod 777 /srv)")
	contains(f.msg, "chmod o-w /app/config.yml")
}

test_world_writable_directory_without_sticky_bit if {
	findings := file002.deny with input as {"special_files": [record("/srv", "dir", "0777", false)]}
	some f in findings
	contains(f.msg, "/srv is a world-writable directory without the sticky bit")
	contains(f.msg, "chmod +t /srv")
}

test_tmp_and_other_sticky_directories_are_not_findings if {
	files := [record("/tmp", "dir", "1777", true), record("/var/tmp", "dir", "1777", true), record("/srv/shared", "dir", "1777", true)]
	count(file002.deny) == 0 with input as {"special_files": files}
}

test_setuid_files_that_are_not_world_writable_are_not_this_rule if {
	suid := object.union(record("/opt/tool", "file", "4755", false), {"world_writable": false, "setuid": true})
	count(file002.deny) == 0 with input as {"special_files": [suid]}
}
