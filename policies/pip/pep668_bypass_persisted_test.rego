package imgaudit.rules.pip003_test

import data.imgaudit.rules.pip003
import rego.v1

setting(value, parsed, effect) := {
	"id": 0, "source": "env", "name": "PIP_BREAK_SYSTEM_PACKAGES", "option": "break-system-packages",
	"value": value, "parsed": parsed, "effect": effect, "ignored_because": [],
	"precision": "high", "readers": ["all"], "origin": {},
}

test_truthy_bypass_is_reported if {
	findings := pip003.deny with input as {"pip_settings": [setting("1", "true", "bypass_pep668")], "pythons": [{"prefix": "/usr", "marker": {"state": "present"}}]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "protects /usr")
	f.severity == "medium"
}

test_low_without_a_marked_interpreter if {
	findings := pip003.deny with input as {"pip_settings": [setting("1", "true", "bypass_pep668")], "pythons": [{"prefix": "/usr/local", "marker": {"state": "absent"}}]}
	some f in findings
	f.severity == "low"
}

test_config_key_is_reported if {
	s := object.union(setting("true", "true", "bypass_pep668"), {"source": "pip_config", "name": "break-system-packages", "section": "global", "origin": {"path": "/etc/pip.conf", "line": 2}})
	count(pip003.deny) == 1 with input as {"pip_settings": [s], "pythons": []}
}

test_falsy_is_fine if {
	count(pip003.deny) == 0 with input as {"pip_settings": [setting("0", "false", "keep_pep668")], "pythons": []}
}

test_ignored_by_old_pip_is_fine if {
	s := object.union(setting("1", "true", "bypass_pep668"), {"ignored_because": ["pip 22.3.1 ignores it"]})
	count(pip003.deny) == 0 with input as {"pip_settings": [s], "pythons": []}
}
