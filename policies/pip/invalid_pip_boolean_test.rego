package imgaudit.rules.pip002_test

import data.imgaudit.rules.pip002
import rego.v1

setting(name, option, value, parsed) := {
	"id": 0, "source": "env", "name": name, "option": option, "value": value,
	"parsed": parsed, "effect": "abort", "ignored_because": [], "precision": "high",
	"readers": ["all"], "origin": {},
}

test_garbage_aborts_pip if {
	findings := pip002.deny with input as {"pip_settings": [setting("PIP_USER", "user", "garbage", "invalid")]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "PIP_USER=garbage")
}

test_break_system_packages_2_aborts_pip if {
	count(pip002.deny) == 1 with input as {"pip_settings": [setting("PIP_BREAK_SYSTEM_PACKAGES", "break-system-packages", "2", "invalid")]}
}

test_valid_and_empty_values_are_fine if {
	count(pip002.deny) == 0 with input as {"pip_settings": [
		setting("PIP_USER", "user", "0", "false"),
		setting("PIP_NO_USER", "no-user", "", "empty"),
		setting("PIP_BREAK_SYSTEM_PACKAGES", "break-system-packages", "yes", "true"),
	]}
}

test_index_urls_are_not_booleans if {
	count(pip002.deny) == 0 with input as {"pip_settings": [setting("PIP_INDEX_URL", "index-url", "x", "text")]}
}

test_ignored_by_old_pips_is_fine if {
	s := object.union(setting("PIP_BREAK_SYSTEM_PACKAGES", "break-system-packages", "2", "invalid"), {"ignored_because": ["pip 22.3.1 does not know this option"]})
	count(pip002.deny) == 0 with input as {"pip_settings": [s]}
}
