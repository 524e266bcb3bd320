# METADATA
# title: the image runs as root
# description: >-
#   The container's processes run as uid 0: the config's `User` is empty, `root`, `0`, `0:…`, or a
#   name that the image's `/etc/passwd` maps to uid 0.
# related_resources:
#   - https://docs.docker.com/reference/dockerfile/#user
#   - https://www.cisecurity.org/benchmark/docker
# custom:
#   id: IMG001
#   name: runs-as-root
#   severity: medium
#   domains: [accounts]
#   aliases: [CIS-DI-0001, DS002]
#   remediation: >-
#     Create an unprivileged account and end the Dockerfile with `USER` and its numeric uid
#     (`RUN useradd --uid 10001 --no-create-home app` then `USER 10001:10001`), so that the
#     container runs as non-root even where names cannot be resolved.
package imgaudit.rules.img001

import rego.v1

deny contains finding if {
	input.runtime.is_root
	why := reason(input.image.user)
	location := where(input.runtime.origin)
	finding := {
		"msg": sprintf("%s, so the container runs as root (uid 0)%s. Add `USER` with a non-root numeric uid (`USER 10001:10001`) at the end of the Dockerfile.", [why, step(input.runtime.origin)]),
		"evidence": {"user": input.image.user, "uid": 0, "user_name": input.runtime.user_name},
		"locations": [location],
	}
}

# Why the config's User means root.
reason(user) := "the image config sets no User" if {
	user == ""
} else := sprintf("the config's User is `%s`", [user]) if {
	name := split(user, ":")[0]
	name in {"root", "0"}
} else := sprintf("the config's User `%s` is uid 0 in /etc/passwd%s", [user, passwd_line(name)]) if {
	name := split(user, ":")[0]
}

passwd_line(name) := sprintf(" line %d", [u.origin.line]) if {
	some u in input.users
	u.runtime
	u.name == name
} else := ""

step(origin) := sprintf(" (history step %d: %s)", [origin.history_step, origin.created_by]) if {
	origin.history_step != null
	origin.created_by
} else := ""

# The USER step when the history has one, else the passwd line of the account.
where(origin) := origin if {
	origin.history_step != null
} else := u.origin if {
	some u in input.users
	u.runtime
} else := {}
