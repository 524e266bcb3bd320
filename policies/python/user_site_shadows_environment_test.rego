package imgaudit.rules.py003_test

import data.imgaudit.rules.py003
import rego.v1

doc(shadows) := {
	"pythons": [{"id": 0, "kind": "source_built", "prefix": "/usr/local"}],
	"shadowed_distributions": shadows,
}

shadow := {"name": "six", "user_site": "/root/.local/lib/python3.11/site-packages", "user_version": "1.15.0", "user_origin": {}, "python": 0, "environment_path": "/usr/local/lib/python3.11/site-packages", "environment_version": "1.16.0"}

test_shadowing_is_reported if {
	findings := py003.deny with input as doc([shadow])
	count(findings) == 1
	some f in findings
	contains(f.msg, "six 1.15.0")
}

test_nothing_shadowed_is_fine if {
	count(py003.deny) == 0 with input as doc([])
}
