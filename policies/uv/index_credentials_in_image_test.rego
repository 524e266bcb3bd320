package imgaudit.rules.uv003_test

import data.imgaudit.rules.uv003
import rego.v1

setting(name, option, value, has_credentials) := {
	"id": 2, "tool": "uv", "source": "env", "name": name, "option": option, "file": null,
	"value": value, "parsed": "text", "counts": true, "ignored_because": [],
	"has_credentials": has_credentials, "urls": [], "outcomes": [], "conditional": false,
	"precision": "high", "readers": ["all"], "origin": {},
}

test_password_in_index_url if {
	findings := uv003.deny with input as {"tool_settings": [setting("UV_INDEX_URL", "index-url", "https://u:****@pkgs.example/simple", true)]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "u:****@")
}

test_named_index_password if {
	count(uv003.deny) == 1 with input as {"tool_settings": [setting("UV_INDEX_PRIVATE_PASSWORD", "index-password", "****", true)]}
}

test_index_in_a_config_file if {
	s := object.union(setting("index", "index", "corp=https://****@pkgs.example/simple", true), {"source": "config_file", "file": "/app/uv.toml", "origin": {"path": "/app/uv.toml", "line": 1}})
	count(uv003.deny) == 1 with input as {"tool_settings": [s]}
}

test_hidden_settings_still_leak if {
	s := object.union(setting("UV_EXTRA_INDEX_URL", "extra-index-url", "https://u:****@h/simple", true), {"counts": false, "ignored_because": ["uv 0.1.45 does not read it"]})
	count(uv003.deny) == 1 with input as {"tool_settings": [s]}
}

test_plain_urls_and_user_names_are_fine if {
	count(uv003.deny) == 0 with input as {"tool_settings": [
		setting("UV_INDEX_URL", "index-url", "https://pkgs.example/simple", false),
		setting("UV_INDEX_PRIVATE_USERNAME", "index-username", "ci-bot", false),
		object.union(setting("POETRY_HTTP_BASIC_X_PASSWORD", "http-basic.x.password", "****", true), {"tool": "poetry"}),
	]}
}
