package imgaudit.rules.py005_test

import data.imgaudit.rules.py005
import rego.v1

doc(kind, outcome) := {
	"runtime": {"user_base": "/root/.local"},
	"pip_settings": [{"id": 0, "source": "env", "name": "PIP_NO_USER", "value": "1", "origin": {}}],
	"pythons": [{"kind": kind, "prefix": "/opt/conda", "decisions": [
		{"launch": "exec", "outcome": outcome, "user_setting": 0},
		{"launch": "shell", "outcome": outcome, "user_setting": 0},
	]}],
}

test_conda_env_with_forced_user_install if {
	findings := py005.deny with input as doc("conda", "user")
	count(findings) == 1
	some f in findings
	contains(f.msg, "/opt/conda")
	contains(f.msg, "exec, shell")
}

test_conda_env_with_site_install_is_fine if {
	count(py005.deny) == 0 with input as doc("conda", "site")
}

test_plain_venv_is_fine if {
	count(py005.deny) == 0 with input as doc("venv", "error")
}

test_fallback_without_a_setting_is_not_this_rule if {
	d := {"runtime": {"user_base": "/home/app/.local"}, "pip_settings": [], "pythons": [{"kind": "conda", "prefix": "/opt/conda", "decisions": [{"launch": "exec", "outcome": "user", "user_setting": null}]}]}
	count(py005.deny) == 0 with input as d
}
