package imgaudit.rules.pipenv001_test

import data.imgaudit.rules.pipenv001
import rego.v1

setting(value, counts, outcomes) := {
	"id": 0, "tool": "pipenv", "source": "env", "name": "PIPENV_SYSTEM", "option": "system",
	"file": null, "value": value, "parsed": "true", "counts": counts, "ignored_because": [],
	"has_credentials": false, "urls": [], "outcomes": outcomes, "conditional": false,
	"precision": "high", "readers": ["all"],
	"origin": {"history_step": 4, "created_by": "ENV PIPENV_SYSTEM=1"},
}

installs := {"python": 0, "prefix": "/usr/local", "result": "installs", "detail": null}

refused := {"python": 1, "prefix": "/usr", "result": "refused_by_marker", "detail": "pipenv 2026.10.3's pip refuses: externally-managed-environment"}

forced := {"python": 1, "prefix": "/usr", "result": "forced_past_marker", "detail": "pipenv 2022.12.19 installs with its bundled pip 22.x, which predates PEP 668: the marker is never checked"}

test_true_value_into_a_source_built_python_is_medium if {
	findings := pipenv001.deny with input as {"tool_settings": [setting("1", true, [installs])]}
	count(findings) == 1
	some f in findings
	f.severity == "medium"
	contains(f.msg, "PIPENV_SYSTEM=1 in the image's Env (history step 4: ENV PIPENV_SYSTEM=1)")
	contains(f.msg, "install into /usr/local instead of a virtualenv")
	contains(f.msg, "PIPENV_VENV_IN_PROJECT=1")
	f.evidence.variable == "PIPENV_SYSTEM"
}

test_past_the_marker_is_high_and_says_why if {
	findings := pipenv001.deny with input as {"tool_settings": [setting("1", true, [forced])]}
	some f in findings
	f.severity == "high"
	contains(f.msg, "past its PEP 668 marker")
	contains(f.msg, "predates PEP 668")
}

test_refused_by_the_marker_is_medium_and_says_it_fails if {
	findings := pipenv001.deny with input as {"tool_settings": [setting("1", true, [refused])]}
	some f in findings
	f.severity == "medium"
	contains(f.msg, "refuses it: the install fails")
}

test_no_interpreter_found_still_explains if {
	findings := pipenv001.deny with input as {"tool_settings": [setting("yes", true, [])]}
	some f in findings
	contains(f.msg, "python3` on PATH")
}

# PIPENV_SYSTEM=0, an ignored value (`t` on pipenv >= 2026.5.0), a value that aborts pipenv:
# the facts say it does not count.
test_settings_that_do_not_count_are_fine if {
	count(pipenv001.deny) == 0 with input as {"tool_settings": [
		object.union(setting("0", false, []), {"parsed": "false", "ignored_because": ["read as false: pipenv makes a virtualenv"]}),
		object.union(setting("t", false, []), {"parsed": "invalid", "ignored_because": ["pipenv 2026.10.3 ignores a value it cannot read"]}),
	]}
}

test_other_tools_and_options_are_not_this_rule if {
	count(pipenv001.deny) == 0 with input as {"tool_settings": [
		object.union(setting("1", true, [installs]), {"tool": "uv", "name": "UV_SYSTEM_PYTHON"}),
		object.union(setting("1", true, []), {"option": "break-system-packages", "name": "PIPENV_BREAK_SYSTEM_PACKAGES"}),
	]}
}

test_a_startup_file_line_is_reported_with_its_precision if {
	s := object.union(setting("1", true, [installs]), {"source": "startup_file", "precision": "medium", "readers": ["bash -l"], "origin": {"path": "/etc/profile.d/pipenv.sh", "line": 2, "layer": 3, "history_step": null}})
	findings := pipenv001.deny with input as {"tool_settings": [s]}
	some f in findings
	f.precision == "medium"
	contains(f.msg, "/etc/profile.d/pipenv.sh line 2")
}
