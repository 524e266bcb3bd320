package imgaudit.rules.sec003_test

import data.imgaudit.rules.sec003
import rego.v1

secret(name, detector) := {
	"name": name, "index": 0, "detector": detector,
	"shown": {"prefix": "ghp_", "length": 40, "hash": "1a2b3c4d"},
	"origin": {"history_step": 3, "created_by": "ENV GITHUB_TOKEN=****"},
}

test_a_token_in_env_is_critical if {
	findings := sec003.deny with input as {"secret_env": [secret("GITHUB_TOKEN", "github-token")]}
	count(findings) == 1
	some f in findings
	startswith(f.msg, "the image's Env sets GITHUB_TOKEN to a credential (github-token) (history step 3: ENV GITHUB_TOKEN=****) (ghp_… 40 chars, sha256 1a2b3c4d, shown masked)")
	f.severity == "critical"
	f.precision == "high"
	f.evidence.source == "env"
	f.evidence.variable == "GITHUB_TOKEN"
	f.locations == [{"history_step": 3, "created_by": "ENV GITHUB_TOKEN=****"}]
}

test_a_secret_by_name_is_high_and_less_certain if {
	some f in sec003.deny with input as {"secret_env": [secret("DB_PASSWORD", "secret-assignment")]}
	contains(f.msg, "sets DB_PASSWORD to a value its name says is a secret")
	f.severity == "high"
	f.precision == "medium"
}

# The facts leave out GPG_KEY, checksums, versions, *_FILE paths, references and empty values
# (tested in Rust); the rule reports what they list and nothing else.
test_no_secret_no_finding if {
	count(sec003.deny) == 0 with input as {"secret_env": [], "env": [
		{"name": "GPG_KEY", "value": "A035C8C19219BA821ECEA86B64E628F8D684696D"},
		{"name": "POSTGRES_PASSWORD_FILE", "value": "/run/secrets/db"},
	]}
}
