package imgaudit.rules.aud001_test

import data.imgaudit.rules.aud001
import rego.v1

unjudged(path, resolved, reason) := {
	"path": path, "resolved": resolved, "reason": reason, "needed_by": "pip_config_files",
	"detail": "it is 2000000 bytes, larger than the capture limit of 1048576 bytes",
	"origin": {"path": path, "layer": 1},
}

test_each_unjudged_file_is_a_finding if {
	findings := aud001.deny with input as {"unjudged": [
		unjudged("/etc/pip.conf", null, "too_large"),
		unjudged("/etc/profile.d/pip.sh", "/opt/pip.sh", "stream"),
	]}
	count(findings) == 2
	some f in findings
	contains(f.msg, "/etc/profile.d/pip.sh (-> /opt/pip.sh) could not be judged")
	f.evidence.reason == "stream"
	f.locations == [{"path": "/etc/profile.d/pip.sh", "layer": 1}]
}

test_a_loop_has_no_target if {
	findings := aud001.deny with input as {"unjudged": [unjudged("/etc/pip.conf", null, "link_loop")]}
	some f in findings
	startswith(f.msg, "/etc/pip.conf could not be judged: ")
}

test_nothing_unjudged_is_fine if {
	count(aud001.deny) == 0 with input as {"unjudged": []}
}
