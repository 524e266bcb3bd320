package imgaudit.rules.sec004_test

import data.imgaudit.rules.sec004
import rego.v1

hit(overrides) := object.union({
	"path": "/root/.ssh/id_ed25519", "detector": "private-key-file", "category": "private-key",
	"description": "PEM private key", "line": 1,
	"shown": {"prefix": "b3Bl", "length": 400, "hash": "feedbeef"},
	"fixture": false, "layer": 1, "history_step": 1, "created_by": "COPY id_ed25519 /root/.ssh/",
	"origin": {"path": "/root/.ssh/id_ed25519", "line": 1, "layer": 1, "history_step": 1, "created_by": "COPY id_ed25519 /root/.ssh/"},
	"in_final_tree": false,
	"removed_by": {"path": "/root/.ssh/id_ed25519", "layer": 2, "history_step": 2, "created_by": "RUN rm /root/.ssh/id_ed25519"},
}, overrides)

test_a_key_deleted_by_a_later_layer if {
	findings := sec004.deny with input as {"secret_files": [hit({})]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "private key")
	contains(f.msg, "that layer 2, history step 2: RUN rm /root/.ssh/id_ed25519 removed")
	f.evidence.removed_by.layer == 2
}

test_a_credential_deleted_by_a_later_layer if {
	findings := sec004.deny with input as {"secret_files": [hit({"category": "credential-file", "detector": "netrc-password", "path": "/root/.netrc"})]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "credential")
}

test_files_still_in_the_tree_are_not_sec004s if {
	count(sec004.deny) == 0 with input as {"secret_files": [hit({"in_final_tree": true, "removed_by": null})]}
}

test_the_same_secret_still_in_the_tree_is_reported_once_elsewhere if {
	# Overwritten by an identical copy: SEC001 reports the copy in the tree.
	count(sec004.deny) == 0 with input as {"secret_files": [hit({}), hit({"layer": 2, "in_final_tree": true, "removed_by": null})]}
}

test_fixtures_are_skipped if {
	count(sec004.deny) == 0 with input as {"secret_files": [hit({"fixture": true})]}
}
