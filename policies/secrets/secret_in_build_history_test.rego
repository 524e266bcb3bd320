package imgaudit.rules.sec005_test

import data.imgaudit.rules.sec005
import rego.v1

shown := {"prefix": "s3cr", "length": 14, "hash": "0badf00d"}

build_arg(steps, used) := {
	"kind": "build_arg", "variable": "TOKEN", "detector": "secret-assignment", "shown": shown,
	"used": used, "steps": steps,
	"origin": {"history_step": steps[0], "layer": 1, "created_by": "|1 TOKEN=**** /bin/sh -c make"},
}

test_a_build_argument_is_a_finding_once_for_every_step if {
	findings := sec005.deny with input as {"secret_history": [build_arg([4, 5, 7], true)]}
	count(findings) == 1
	some f in findings
	f.msg == "history step 4 records the build argument TOKEN, which a RUN reads (s3cr… 14 chars, sha256 0badf00d, shown masked) (also in steps 5, 7); anyone who can pull the image reads it with `docker history --no-trunc`. Rotate it and pass it with RUN --mount=type=secret instead."
	f.severity == "high"
	f.evidence.variable == "TOKEN"
	f.locations == [build_arg([4, 5, 7], true).origin]
}

test_an_unused_argument_still_leaks if {
	some f in sec005.deny with input as {"secret_history": [build_arg([2], false)]}
	startswith(f.msg, "history step 2 records the build argument TOKEN (s3cr")
}

test_a_credential_in_a_command_is_critical if {
	s := {
		"kind": "command", "variable": null, "detector": "command-line-user", "shown": shown,
		"used": false, "steps": [3],
		"origin": {"history_step": 3, "layer": 2, "created_by": "/bin/sh -c curl -u admin:**** https://x/"},
	}
	some f in sec005.deny with input as {"secret_history": [s]}
	startswith(f.msg, "history step 3 records a credential (command-line-user) in its command: /bin/sh -c curl -u admin:**** https://x/ (")
	f.severity == "critical"
	not "variable" in object.keys(f.evidence)
}

test_no_credential_no_finding if {
	count(sec005.deny) == 0 with input as {"secret_history": []}
}
