package imgaudit.rules.uv001_test

import data.imgaudit.rules.uv001
import rego.v1

setting(name, option, value, parsed, counts, outcomes) := {
	"id": 0, "tool": "uv", "source": "env", "name": name, "option": option, "file": null,
	"value": value, "parsed": parsed, "counts": counts, "ignored_because": [],
	"has_credentials": false, "urls": [], "outcomes": outcomes, "conditional": false,
	"precision": "high", "readers": ["all"], "origin": {"history_step": 3, "created_by": "ENV UV_SYSTEM_PYTHON=1"},
}

refused := {"python": 0, "prefix": "/usr", "result": "refused_by_marker", "detail": null}

installs := {"python": 1, "prefix": "/usr/local", "result": "installs", "detail": null}

test_system_python_from_env_on_a_marked_python if {
	findings := uv001.deny with input as {"tool_settings": [setting("UV_SYSTEM_PYTHON", "system", "1", "true", true, [refused])]}
	count(findings) == 1
	some f in findings
	f.severity == "medium"
	contains(f.msg, "UV_SYSTEM_PYTHON=1")
	contains(f.msg, "/usr refuses it")
	contains(f.msg, "uv venv")
}

test_system_python_where_it_lands_is_high if {
	some f in uv001.deny with input as {"tool_settings": [setting("UV_SYSTEM_PYTHON", "system", "true", "true", true, [installs])]}
	f.severity == "high"
	contains(f.msg, "installs into /usr/local")
}

test_system_in_a_config_file_names_the_line if {
	s := object.union(setting("pip.system", "system", "true", "true", true, [installs]), {"source": "config_file", "file": "/etc/uv/uv.toml", "origin": {"path": "/etc/uv/uv.toml", "line": 2, "layer": 3}})
	some f in uv001.deny with input as {"tool_settings": [s]}
	contains(f.msg, "pip.system = true in /etc/uv/uv.toml line 2 (layer 3")
}

# Trap: UV_SYSTEM_PYTHON=0 means "not given".
test_false_value_is_quiet if {
	count(uv001.deny) == 0 with input as {"tool_settings": [setting("UV_SYSTEM_PYTHON", "system", "0", "false", false, [])]}
}

# Trap: a setting in a file uv does not read.
test_unread_file_is_quiet if {
	s := object.union(setting("pip.system", "system", "true", "true", false, []), {"source": "config_file", "ignored_because": ["uv does not read this file"]})
	count(uv001.deny) == 0 with input as {"tool_settings": [s]}
}

test_other_tools_are_not_uv if {
	s := object.union(setting("PIPENV_SYSTEM", "system", "1", "true", true, [installs]), {"tool": "pipenv"})
	count(uv001.deny) == 0 with input as {"tool_settings": [s]}
}

test_project_environment_at_a_system_prefix if {
	forced := {"python": 0, "prefix": "/usr", "result": "forced_past_marker", "detail": "uv sync"}
	s := setting("UV_PROJECT_ENVIRONMENT", "project-environment", "/usr", "text", true, [forced])
	some f in uv001.deny with input as {"tool_settings": [s]}
	f.severity == "high"
	contains(f.msg, "uv sync")
}

# Trap: a project environment that is a venv has no system outcome.
test_project_environment_at_a_venv_is_quiet if {
	s := setting("UV_PROJECT_ENVIRONMENT", "project-environment", "/opt/venv", "text", true, [])
	count(uv001.deny) == 0 with input as {"tool_settings": [s]}
}
