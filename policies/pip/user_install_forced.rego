# METADATA
# title: pip is told to install into the user site
# description: >-
#   A setting left in the image turns on pip's user installs, so every later `pip install`
#   writes to `~/.local` instead of the environment it runs in. `PIP_NO_USER=1` and
#   `no-user = true` do this too: pip reads the value without inverting it.
# related_resources:
#   - https://pip.pypa.io/en/stable/topics/configuration/
#   - https://github.com/pypa/pip/issues/5735
# custom:
#   id: PIP001
#   name: user-install-forced
#   severity: medium
#   domains: [python]
#   remediation: >-
#     Remove the variable or key, or set `PIP_USER=0`. To keep Python from importing a user
#     site at all, set `PYTHONNOUSERSITE=1`.
package imgaudit.rules.pip001

import data.imgaudit.lib.describe
import rego.v1

deny contains finding if {
	some s in describe.effective_settings
	s.option in {"user", "no-user"}
	s.effect == "user_install"
	finding := {
		"msg": sprintf("%s in %s makes %s %s. %s", [describe.setting(s), describe.source(s), which_installs(s), where_to(s), why(s)]),
		"severity": severity,
		"precision": precision(s),
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id},
		"locations": [s.origin],
	}
}

# When PIP_USER and PIP_NO_USER disagree, the winner depends on how pip is started: the shell
# reorders the environment (PIP-SEMANTICS.md §1.4).
which_installs(s) := sprintf("`pip install` %s (while %s wins %s)", [launches(s.decides_in), concat(" and ", s.overridden_by), launches(s.overridden_in)]) if {
	count(s.overridden_in) > 0
	count(s.decides_in) > 0
} else := sprintf("`pip install` where nothing overrides it (%s wins %s)", [concat(" and ", s.overridden_by), launches(s.overridden_in)]) if {
	count(s.overridden_in) > 0
} else := "every `pip install`"

launches(names) := "started through a shell (sh -c, bash -c: RUN, shell-form CMD)" if {
	names == ["shell"]
} else := "started directly (exec-form CMD or ENTRYPOINT, docker exec)" if {
	names == ["exec"]
} else := "however started"

# Where pip decides with it and every such decision fails (only plain venvs, or the user site
# disabled on pip >= 25.3), the install breaks instead of landing in ~/.local.
where_to(s) := "fail: user installs are refused in every environment of this image that has pip" if {
	count(s.outcomes) > 0
	every outcome in s.outcomes {
		outcome == "refused"
	}
} else := "go to the user site (~/.local)"

precision(s) := "medium" if {
	count(s.overridden_in) > 0
	s.precision == "high"
} else := s.precision

why(s) := "pip reads the value of the `no-user` option without inverting it, so a true value means user=true. Set PIP_USER=0 or remove it; PYTHONNOUSERSITE=1 hides the user site from Python." if {
	s.option == "no-user"
} else := "Set PIP_USER=0 or remove it; PYTHONNOUSERSITE=1 hides the user site from Python."

# Worse where an environment does not stop user installs: conda envs and
# --system-site-packages venvs send them silently to ~/.local.
severity := "high" if {
	some p in input.pythons
	p.kind == "conda"
} else := "high" if {
	some p in input.pythons
	p.venv.include_system_site_packages
} else := "medium"
