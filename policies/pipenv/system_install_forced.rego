# METADATA
# title: pipenv is told to install into the system Python
# description: >-
#   A true `PIPENV_SYSTEM` left in the image acts as `--system` on every later `pipenv install`
#   and `pipenv sync`: the project's packages go into an existing interpreter (the `python3` on
#   PATH, or for pipenv before 2022.8.13 the interpreter pipenv runs under) instead of a
#   virtualenv of their own.
# related_resources:
#   - https://pipenv.pypa.io/en/latest/configuration.html
#   - https://peps.python.org/pep-0668/
# custom:
#   id: PIPENV001
#   name: pipenv-system-install-forced
#   severity: medium
#   domains: [python, python_tools]
#   remediation: >-
#     Remove `PIPENV_SYSTEM` from the image. Let pipenv make the project's virtualenv
#     (`PIPENV_VENV_IN_PROJECT=1` puts it in `.venv`), or pass `--system` on the one `pipenv
#     sync --system` that needs it.
package imgaudit.rules.pipenv001

import data.imgaudit.lib.describe
import rego.v1

deny contains finding if {
	some s in input.tool_settings
	s.tool == "pipenv"
	s.option == "system"
	s.counts
	finding := {
		"msg": sprintf("%s in %s makes every later `pipenv install` and `pipenv sync` %s. %s", [describe.setting(s), describe.source(s), what_happens(s), fix]),
		"severity": severity(s),
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id},
		"locations": [s.origin],
	}
}

what_happens(s) := concat("; ", [outcome_text(o) | some o in s.outcomes]) if {
	count(s.outcomes) > 0
} else := "install into the `python3` on PATH instead of a virtualenv"

outcome_text(o) := sprintf("install into %s instead of a virtualenv", [o.prefix]) if {
	o.result == "installs"
} else := sprintf("install into %s past its PEP 668 marker (%s)", [o.prefix, o.detail]) if {
	o.result == "forced_past_marker"
} else := sprintf("target %s, whose PEP 668 marker refuses it: the install fails", [o.prefix]) if {
	o.result == "refused_by_marker"
} else := sprintf("fail on %s (%s)", [o.prefix, o.detail])

fix := "Remove PIPENV_SYSTEM and let pipenv make the project's virtualenv (PIPENV_VENV_IN_PROJECT=1 puts it in .venv), or pass --system on the one command that needs it."

# Past a PEP 668 marker the project's packages overwrite the distribution's own.
severity(s) := "high" if {
	some o in s.outcomes
	o.result == "forced_past_marker"
} else := "medium"
