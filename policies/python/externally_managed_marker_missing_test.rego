package imgaudit.rules.py001_test

import data.imgaudit.rules.py001
import rego.v1

python(kind, marker) := {"kind": kind, "prefix": "/usr", "version": "3.11", "marker": object.union({"path": "/usr/lib/python3.11/EXTERNALLY-MANAGED", "origin": {}}, marker)}

test_removed_by_a_whiteout if {
	findings := py001.deny with input as {"pythons": [python("distro", {"state": "absent", "shipped_by": "libpython3.11-stdlib", "removed": {"layer": 3, "history_step": 5, "created_by": "RUN rm x"}})]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "layer 3 removed it")
}

test_replaced_by_a_directory if {
	count(py001.deny) == 1 with input as {"pythons": [python("distro", {"state": "directory", "shipped_by": "libpython3.11-stdlib"})]}
}

test_dangling_link if {
	count(py001.deny) == 1 with input as {"pythons": [python("distro", {"state": "dangling_link", "shipped_by": "libpython3.11-stdlib"})]}
}

test_present_even_malformed_is_fine if {
	count(py001.deny) == 0 with input as {"pythons": [python("distro", {"state": "present", "well_formed": false, "shipped_by": "libpython3.11-stdlib"})]}
}

test_source_built_python_without_marker_is_fine if {
	count(py001.deny) == 0 with input as {"pythons": [python("source_built", {"state": "absent", "shipped_by": null})]}
}

test_distro_that_ships_no_marker_is_fine if {
	count(py001.deny) == 0 with input as {"pythons": [python("distro", {"state": "absent", "shipped_by": null})]}
}
