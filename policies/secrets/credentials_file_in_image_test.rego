package imgaudit.rules.sec002_test

import data.imgaudit.rules.sec002
import rego.v1

hit(overrides) := object.union({
	"path": "/root/.npmrc", "detector": "npmrc-auth", "category": "credential-file",
	"description": "literal _authToken, _password or _auth in an .npmrc", "line": 2,
	"shown": {"prefix": "s3cr", "length": 18, "hash": "0badf00d"},
	"fixture": false, "layer": 0, "history_step": 0, "created_by": "COPY .npmrc /root/",
	"origin": {"path": "/root/.npmrc", "line": 2, "layer": 0, "history_step": 0, "created_by": "COPY .npmrc /root/"},
	"in_final_tree": true, "removed_by": null,
}, overrides)

test_a_credential_file if {
	findings := sec002.deny with input as {"secret_files": [hit({})]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "/root/.npmrc line 2 (layer 0, history step 0: COPY .npmrc /root/)")
	contains(f.msg, "s3cr… (18 chars, sha256 0badf00d)")
	f.precision == "high"
}

test_a_token_in_any_file_is_medium_precision if {
	findings := sec002.deny with input as {"secret_files": [hit({"category": "token", "detector": "github-token", "path": "/app/deploy.sh"})]}
	count(findings) == 1
	some f in findings
	f.precision == "medium"
}

test_keys_removed_files_and_fixtures_are_not_sec002s if {
	count(sec002.deny) == 0 with input as {"secret_files": [
		hit({"category": "private-key", "detector": "private-key-file"}),
		hit({"in_final_tree": false, "removed_by": {"layer": 3}}),
		hit({"fixture": true}),
	]}
}

test_no_secret_files_no_findings if {
	count(sec002.deny) == 0 with input as {"secret_files": []}
}
