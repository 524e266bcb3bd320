package imgaudit.rules.sec001_test

import data.imgaudit.rules.sec001
import rego.v1

hit(overrides) := object.union({
	"path": "/root/.ssh/id_rsa", "detector": "private-key-file", "category": "private-key",
	"description": "PEM private key", "line": 1,
	"shown": {"prefix": "b3Bl", "length": 1592, "hash": "1a2b3c4d"},
	"fixture": false, "layer": 1, "history_step": 2, "created_by": "COPY id_rsa /root/.ssh/",
	"origin": {"path": "/root/.ssh/id_rsa", "line": 1, "layer": 1, "history_step": 2, "created_by": "COPY id_rsa /root/.ssh/"},
	"in_final_tree": true, "removed_by": null,
}, overrides)

test_a_key_in_the_final_tree if {
	findings := sec001.deny with input as {"secret_files": [hit({})]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "/root/.ssh/id_rsa line 1 (layer 1, history step 2: COPY id_rsa /root/.ssh/)")
	contains(f.msg, "b3Bl… (1592 chars, sha256 1a2b3c4d)")
	f.locations == [hit({}).origin]
}

test_putty_and_pkcs12_keys_count if {
	count(sec001.deny) == 2 with input as {"secret_files": [
		hit({"detector": "putty-private-key", "path": "/k.ppk"}),
		hit({"detector": "pkcs12-file", "path": "/store.bin"}),
	]}
}

test_removed_keys_are_sec004s if {
	count(sec001.deny) == 0 with input as {"secret_files": [hit({"in_final_tree": false, "removed_by": {"layer": 2}})]}
}

test_package_fixtures_are_skipped if {
	count(sec001.deny) == 0 with input as {"secret_files": [hit({"fixture": true, "path": "/usr/lib/python3.11/test/keycert.pem"})]}
}

test_credentials_and_tokens_are_sec002s if {
	count(sec001.deny) == 0 with input as {"secret_files": [
		hit({"category": "credential-file", "detector": "npmrc-auth"}),
		hit({"category": "token", "detector": "github-token"}),
	]}
}
