package imgaudit.rules.py004_test

import data.imgaudit.rules.py004
import rego.v1

python(kind, dists) := {"kind": kind, "version": "3.11", "prefix": "/usr", "marker": {"state": "present"}, "site_packages": [{"path": "/usr/local/lib/python3.11/dist-packages", "distributions": dists}]}

dist(name, installer) := {"name": name, "version": "1.0", "installer": installer, "origin": {"layer": 2}}

test_pip_installed_into_debian_python if {
	findings := py004.deny with input as {"pythons": [python("distro", [dist("flask", "pip"), dist("apt-thing", null)])]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "flask 1.0")
	not contains(f.msg, "apt-thing")
}

test_apt_installed_is_fine if {
	count(py004.deny) == 0 with input as {"pythons": [python("distro", [dist("six", null), dist("requests", "debian")])]}
}

test_source_built_python_is_fine if {
	count(py004.deny) == 0 with input as {"pythons": [python("source_built", [dist("flask", "pip")])]}
}

test_unmarked_distro_release_is_fine if {
	p := object.union(python("distro", [dist("flask", "pip")]), {"marker": {"state": "absent", "shipped_by": null}})
	count(py004.deny) == 0 with input as {"pythons": [p]}
}

test_marker_removed_still_counts if {
	p := object.union(python("distro", [dist("flask", "pip")]), {"marker": {"state": "absent", "shipped_by": "libpython3.11-stdlib"}})
	count(py004.deny) == 1 with input as {"pythons": [p]}
}

test_package_owned_dist_is_fine if {
	d := object.union(dist("py3-foo", "pip"), {"owned_by_package": "py3-foo"})
	count(py004.deny) == 0 with input as {"pythons": [python("distro", [d])]}
}
