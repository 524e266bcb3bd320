package imgaudit.rules.poetry002_test

import data.imgaudit.rules.poetry002
import rego.v1

setting(name, option, value, has_credentials) := {
	"id": 1, "tool": "poetry", "source": "env", "name": name, "option": option, "file": null,
	"value": value, "parsed": "text", "counts": true, "ignored_because": [],
	"has_credentials": has_credentials, "urls": [], "outcomes": [], "conditional": false,
	"precision": "high", "readers": ["all"], "origin": {},
}

test_password_variable if {
	findings := poetry002.deny with input as {"tool_settings": [setting("POETRY_HTTP_BASIC_PRIVATE_PASSWORD", "http-basic.private.password", "****", true)]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "POETRY_HTTP_BASIC_PRIVATE_PASSWORD=****")
	f.evidence.variable == "POETRY_HTTP_BASIC_PRIVATE_PASSWORD"
}

test_pypi_token_variable if {
	count(poetry002.deny) == 1 with input as {"tool_settings": [setting("POETRY_PYPI_TOKEN_PYPI", "pypi-token.pypi", "****", true)]}
}

test_auth_toml_written_by_poetry_config if {
	s := object.union(setting("http-basic.private.password", "http-basic.private.password", "****", true), {"source": "config_file", "file": "/root/.config/pypoetry/auth.toml", "origin": {"path": "/root/.config/pypoetry/auth.toml", "line": 3, "layer": 5}})
	findings := poetry002.deny with input as {"tool_settings": [s]}
	some f in findings
	contains(f.msg, "plain text")
	f.evidence.path == "/root/.config/pypoetry/auth.toml"
}

test_unread_files_still_leak if {
	s := object.union(setting("pypi-token.pypi", "pypi-token.pypi", "****", true), {"source": "config_file", "file": "/home/dev/.config/pypoetry/auth.toml", "counts": false, "ignored_because": ["the file is not read"], "origin": {"path": "/home/dev/.config/pypoetry/auth.toml", "line": 2}})
	count(poetry002.deny) == 1 with input as {"tool_settings": [s]}
}

test_a_user_name_is_no_secret if {
	count(poetry002.deny) == 0 with input as {"tool_settings": [setting("POETRY_HTTP_BASIC_PRIVATE_USERNAME", "http-basic.private.username", "ci-bot", false)]}
}

test_an_empty_password_is_no_secret if {
	count(poetry002.deny) == 0 with input as {"tool_settings": [setting("POETRY_HTTP_BASIC_PRIVATE_PASSWORD", "http-basic.private.password", "", false)]}
}

test_other_tools_are_not_poetry if {
	s := object.union(setting("UV_INDEX_URL", "index-url", "https://u:****@h/simple", true), {"tool": "uv"})
	count(poetry002.deny) == 0 with input as {"tool_settings": [s]}
}
