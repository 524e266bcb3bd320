package imgaudit.rules.poetry001_test

import data.imgaudit.rules.poetry001
import rego.v1

outcome(result) := {"python": 0, "prefix": "/usr", "result": result, "detail": "poetry 2.5.1 runs in the venv /opt/poetry and installs into that venv's base interpreter"}

setting(name, value, parsed, outcomes) := {
	"id": 3, "tool": "poetry", "source": "env", "name": name, "option": "virtualenvs.create",
	"file": null, "value": value, "parsed": parsed, "counts": true, "ignored_because": [],
	"has_credentials": false, "urls": [], "outcomes": outcomes, "conditional": false,
	"precision": "high", "readers": ["all"], "origin": {"history_step": 4, "created_by": "ENV POETRY_VIRTUALENVS_CREATE=false"},
}

test_false_in_env_past_the_marker if {
	findings := poetry001.deny with input as {"tool_settings": [setting("POETRY_VIRTUALENVS_CREATE", "false", "false", [outcome("forced_past_marker")])]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "writes into /usr")
	contains(f.msg, "PEP 668 marker of /usr")
	f.evidence.variable == "POETRY_VIRTUALENVS_CREATE"
}

test_a_yes_reads_as_false_and_says_so if {
	findings := poetry001.deny with input as {"tool_settings": [setting("POETRY_VIRTUALENVS_CREATE", "yes", "false", [outcome("installs")])]}
	some f in findings
	contains(f.msg, "every value but `true` and `1` as false")
	not contains(f.msg, "marker")
}

test_config_file_false if {
	s := object.union(setting("virtualenvs.create", "false", "false", [outcome("installs")]), {"source": "config_file", "file": "/root/.config/pypoetry/config.toml", "origin": {"path": "/root/.config/pypoetry/config.toml", "line": 2, "layer": 3}})
	findings := poetry001.deny with input as {"tool_settings": [s]}
	some f in findings
	contains(f.msg, "`virtualenvs.create = false` in /root/.config/pypoetry/config.toml line 2")
}

test_true_is_fine if {
	count(poetry001.deny) == 0 with input as {"tool_settings": [setting("POETRY_VIRTUALENVS_CREATE", "true", "true", [])]}
}

test_a_setting_that_does_not_count_is_fine if {
	s := object.union(setting("virtualenvs.create", "false", "false", [outcome("installs")]), {"source": "config_file", "counts": false, "ignored_because": ["the file is not read"]})
	count(poetry001.deny) == 0 with input as {"tool_settings": [s]}
}

test_nothing_but_venvs_to_write_into_is_fine if {
	# An active VIRTUAL_ENV, or an in-project .venv: no interpreter's own site is written.
	count(poetry001.deny) == 0 with input as {"tool_settings": [setting("POETRY_VIRTUALENVS_CREATE", "false", "false", [])]}
}

test_other_tools_are_not_poetry if {
	s := object.union(setting("UV_SYSTEM_PYTHON", "1", "true", [outcome("installs")]), {"tool": "uv", "option": "system"})
	count(poetry001.deny) == 0 with input as {"tool_settings": [s]}
}
