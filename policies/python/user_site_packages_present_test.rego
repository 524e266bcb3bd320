package imgaudit.rules.py002_test

import data.imgaudit.rules.py002
import rego.v1

site(entries, dists) := {"path": "/root/.local/lib/python3.11/site-packages", "python_version": "3.11", "user": "root", "entries": entries, "distributions": dists, "origin": {}}

test_populated_user_site if {
	findings := py002.deny with input as {"runtime": {"user_site_disabled": false}, "user_sites": [site(2, [{"name": "six", "version": "1.16.0"}])]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "six 1.16.0")
	f.severity == "medium"
}

test_hidden_by_pythonnousersite_is_low if {
	findings := py002.deny with input as {"runtime": {"user_site_disabled": true, "python_no_user_site": "1"}, "user_sites": [site(1, [])]}
	some f in findings
	f.severity == "low"
	contains(f.msg, "PYTHONNOUSERSITE=1 hides")
}

test_empty_user_site_is_fine if {
	count(py002.deny) == 0 with input as {"runtime": {"user_site_disabled": false}, "user_sites": [site(0, [])]}
}

test_no_user_site_is_fine if {
	count(py002.deny) == 0 with input as {"runtime": {"user_site_disabled": false}, "user_sites": []}
}
