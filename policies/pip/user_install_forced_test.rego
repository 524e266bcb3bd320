package imgaudit.rules.pip001_test

import data.imgaudit.rules.pip001
import rego.v1

setting(name, option, value, effect) := {
	"id": 0, "source": "env", "name": name, "option": option, "value": value,
	"parsed": "true", "effect": effect, "ignored_because": [], "precision": "high",
	"readers": ["all"], "origin": {"history_step": 2, "created_by": "ENV x"},
	"decides_in": ["exec", "shell"], "overridden_in": [], "overridden_by": [], "outcomes": ["user"],
}

test_pip_no_user_1_is_a_user_install if {
	findings := pip001.deny with input as {"pip_settings": [setting("PIP_NO_USER", "no-user", "1", "user_install")], "pythons": []}
	count(findings) == 1
	some f in findings
	contains(f.msg, "without inverting")
	f.severity == "medium"
}

test_pip_user_true_is_reported if {
	count(pip001.deny) == 1 with input as {"pip_settings": [setting("PIP_USER", "user", "true", "user_install")], "pythons": []}
}

test_falsy_values_are_fine if {
	count(pip001.deny) == 0 with input as {"pip_settings": [
		setting("PIP_NO_USER", "no-user", "0", "non_user_install"),
		setting("PIP_USER", "user", "false", "non_user_install"),
	], "pythons": []}
}

test_ignored_settings_are_fine if {
	s := object.union(setting("PIP_USER", "user", "1", "user_install"), {"ignored_because": ["overridden by PIP_NO_USER=0 in every launch"]})
	count(pip001.deny) == 0 with input as {"pip_settings": [s], "pythons": []}
}

test_high_with_a_conda_env if {
	findings := pip001.deny with input as {"pip_settings": [setting("PIP_USER", "user", "1", "user_install")], "pythons": [{"kind": "conda"}]}
	some f in findings
	f.severity == "high"
}

test_high_with_a_system_site_venv if {
	findings := pip001.deny with input as {"pip_settings": [setting("PIP_USER", "user", "1", "user_install")], "pythons": [{"kind": "venv", "venv": {"include_system_site_packages": true}}]}
	some f in findings
	f.severity == "high"
}

test_one_finding_per_source if {
	config := object.union(setting("user", "user", "true", "user_install"), {"id": 1, "source": "pip_config", "section": "global", "origin": {"path": "/etc/pip.conf", "line": 2, "layer": 1}})
	count(pip001.deny) == 2 with input as {"pip_settings": [setting("PIP_USER", "user", "1", "user_install"), config], "pythons": []}
}

test_launch_dependent_is_medium_and_says_when if {
	s := object.union(setting("PIP_NO_USER", "no-user", "1", "user_install"), {"decides_in": ["shell"], "overridden_in": ["exec"], "overridden_by": ["PIP_USER=0"]})
	findings := pip001.deny with input as {"pip_settings": [s], "pythons": []}
	some f in findings
	f.precision == "medium"
	contains(f.msg, "started through a shell")
	contains(f.msg, "PIP_USER=0 wins started directly")
}

test_says_pip_fails_where_user_installs_are_refused if {
	s := object.union(setting("PIP_USER", "user", "1", "user_install"), {"outcomes": ["refused"]})
	findings := pip001.deny with input as {"pip_settings": [s], "pythons": []}
	some f in findings
	contains(f.msg, "fail: user installs are refused")
}

test_other_errors_do_not_change_the_message if {
	s := object.union(setting("PIP_USER", "user", "1", "user_install"), {"outcomes": ["error"]})
	findings := pip001.deny with input as {"pip_settings": [s], "pythons": []}
	some f in findings
	contains(f.msg, "go to the user site")
}
