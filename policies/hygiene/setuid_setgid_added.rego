# METADATA
# title: a setuid or setgid program that the image added or changed
# description: >-
#   A regular file with the setuid or setgid bit that no package installed, or whose mode or
#   content the image changed after its package installed it. Any user of the container runs it
#   with its owner's or group's rights.
# related_resources:
#   - https://man7.org/linux/man-pages/man2/execve.2.html
#   - https://www.cisecurity.org/benchmark/docker
# custom:
#   id: FILE001
#   name: setuid-setgid-added
#   severity: medium
#   domains: [files]
#   aliases: [CIS-DI-0008]
#   remediation: >-
#     Remove the bit (`chmod u-s,g-s FILE`) in the same `RUN` that creates the file, or do not
#     add the program; if it must run with privileges, give it the one capability it needs
#     (`setcap`) or run it as a dedicated user.
package imgaudit.rules.file001

import data.imgaudit.lib.describe
import rego.v1

deny contains finding if {
	some f in input.special_files
	f.kind == "file"
	bits(f) != ""
	why := reason(f)
	finding := {
		"msg": sprintf("%s is %s (mode %s, owner %d:%d) and %s%s. Remove the bit in the same RUN that creates the file (chmod %s %s), or give the program only the capability it needs.", [f.path, bits(f), f.mode, f.uid, f.gid, why, describe.layer(f.origin), chmod(f), f.path]),
		"evidence": {"path": f.path, "mode": f.mode, "uid": f.uid, "gid": f.gid, "package": f.package, "changed_how": f.changed_how, "statoverride": f.statoverride},
		"locations": [f.origin],
	}
}

bits(f) := "setuid and setgid" if {
	f.setuid
	f.setgid
} else := "setuid" if {
	f.setuid
} else := "setgid" if {
	f.setgid
} else := ""

chmod(f) := "u-s,g-s" if {
	f.setuid
	f.setgid
} else := "u-s" if {
	f.setuid
} else := "g-s"

# Not a finding: a package installed it and the image left it alone.
# Not judged: an rpm database (not read) written by the same or a later layer may own it.
reason(f) := sprintf("no package installed it%s", [rpm_note]) if {
	f.package == null
	not f.ownership_unknown
} else := sprintf("the image changed it after package %s installed it: %s%s", [f.package.name, f.changed_how, override(f)]) if {
	f.changed_after_install == true
}

rpm_note := " (a layer wrote it after the last rpm transaction)" if {
	some db in input.package_db.databases
	db.manager == "rpm"
} else := ""

override(f) := sprintf(" (dpkg-statoverride registers %s %s %s)", [f.statoverride.owner, f.statoverride.group, f.statoverride.mode]) if {
	f.statoverride != null
} else := ""
