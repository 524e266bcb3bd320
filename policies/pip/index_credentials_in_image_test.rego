package imgaudit.rules.pip004_test

import data.imgaudit.rules.pip004
import rego.v1

setting(name, option, value, has_credentials) := {
	"id": 0, "source": "env", "name": name, "option": option, "value": value,
	"parsed": "text", "effect": "index", "ignored_because": [], "has_credentials": has_credentials,
	"precision": "high", "readers": ["all"], "origin": {},
}

test_password_in_index_url if {
	findings := pip004.deny with input as {"pip_settings": [setting("PIP_INDEX_URL", "index-url", "https://u:****@pypi.example/simple", true)]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "u:****@")
}

test_token_in_extra_index_url_from_config if {
	s := object.union(setting("extra-index-url", "extra-index-url", "https://****@pkgs.example/simple", true), {"source": "pip_config", "section": "global", "origin": {"path": "/etc/pip.conf", "line": 3}})
	count(pip004.deny) == 1 with input as {"pip_settings": [s]}
}

test_plain_index_is_fine if {
	count(pip004.deny) == 0 with input as {"pip_settings": [setting("PIP_INDEX_URL", "index-url", "https://index.example/simple", false)]}
}

test_hidden_files_still_leak if {
	s := object.union(setting("index-url", "index-url", "https://u:****@h/simple", true), {"source": "pip_config", "section": "global", "ignored_because": ["hidden"], "origin": {"path": "/root/.pip/pip.conf", "line": 2}})
	count(pip004.deny) == 1 with input as {"pip_settings": [s]}
}
