package imgaudit.rules.uv002_test

import data.imgaudit.rules.uv002
import rego.v1

setting(name, value, parsed, counts, outcomes) := {
	"id": 1, "tool": "uv", "source": "env", "name": name, "option": "break-system-packages",
	"file": null, "value": value, "parsed": parsed, "counts": counts, "ignored_because": [],
	"has_credentials": false, "urls": [], "outcomes": outcomes, "conditional": false,
	"precision": "high", "readers": ["all"], "origin": {},
}

forced := {"python": 0, "prefix": "/usr", "result": "forced_past_marker", "detail": null}

test_env_bypass_with_a_marked_python_is_high if {
	findings := uv002.deny with input as {"tool_settings": [setting("UV_BREAK_SYSTEM_PACKAGES", "1", "true", true, [forced])]}
	count(findings) == 1
	some f in findings
	f.severity == "high"
	contains(f.msg, "goes past the PEP 668 marker of /usr")
}

test_without_a_marked_python_is_medium if {
	some f in uv002.deny with input as {"tool_settings": [setting("UV_BREAK_SYSTEM_PACKAGES", "true", "true", true, [])]}
	f.severity == "medium"
}

test_config_file_bypass if {
	s := object.union(setting("pip.break-system-packages", "true", "true", true, [forced]), {"source": "config_file", "file": "/etc/uv/uv.toml", "origin": {"path": "/etc/uv/uv.toml", "line": 2}})
	some f in uv002.deny with input as {"tool_settings": [s]}
	contains(f.msg, "/etc/uv/uv.toml line 2")
}

test_false_and_unread_are_quiet if {
	count(uv002.deny) == 0 with input as {"tool_settings": [
		setting("UV_BREAK_SYSTEM_PACKAGES", "false", "false", false, []),
		object.union(setting("pip.break-system-packages", "true", "true", false, []), {"source": "config_file", "ignored_because": ["uv 0.2.37 reads no system-level configuration"]}),
	]}
}
