# METADATA
# title: poetry installs into a system Python instead of a virtual environment
# description: >-
#   `POETRY_VIRTUALENVS_CREATE` with any value but `true` or `1`, or `virtualenvs.create = false`
#   in a poetry configuration file it reads, stays in the image: every later `poetry install`
#   writes into an interpreter's own site-packages, past its PEP 668 marker, which poetry never
#   reads.
# related_resources:
#   - https://python-poetry.org/docs/configuration/#virtualenvscreate
#   - https://peps.python.org/pep-0668/
# custom:
#   id: POETRY001
#   name: poetry-installs-into-system-python
#   severity: medium
#   domains: [python, python_tools]
#   remediation: >-
#     Remove the setting and let poetry create its virtual environment (with
#     `virtualenvs.in-project = true` for a fixed path), or create one yourself and name it in
#     `VIRTUAL_ENV`; pass `POETRY_VIRTUALENVS_CREATE=false` only to the one `RUN poetry install`
#     that needs it.
package imgaudit.rules.poetry001

import rego.v1

deny contains finding if {
	some s in input.tool_settings
	s.tool == "poetry"
	s.option == "virtualenvs.create"
	s.parsed == "false"
	s.counts
	targets := [o | some o in s.outcomes; o.result in {"installs", "forced_past_marker"}]
	count(targets) > 0
	finding := {
		"msg": sprintf("%s in %s turns poetry's virtual environments off: every later `poetry install` writes into %s%s%s. Remove it and let poetry create a virtual environment, or pass it only to the one command that needs it.", [shown(s), where(s), concat(", ", sort({o.prefix | some o in targets})), past_marker(targets), surprise(s)]),
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id},
		"locations": [s.origin],
	}
}

shown(s) := sprintf("%s=%s", [s.name, s.value]) if {
	s.source != "config_file"
} else := sprintf("`%s = %s`", [s.name, s.value])

where(s) := sprintf("the image's Env%s", [step(s.origin)]) if {
	s.source == "env"
} else := sprintf("%s line %d, read by %s", [s.origin.path, s.origin.line, concat(", ", s.readers)]) if {
	s.source == "startup_file"
} else := sprintf("%s line %d", [s.file, s.origin.line])

step(origin) := sprintf(" (history step %d: %s)", [origin.history_step, origin.created_by]) if {
	origin.history_step != null
	origin.created_by
} else := ""

past_marker(targets) := sprintf(" (past the PEP 668 marker of %s: poetry never reads it)", [concat(", ", sort(marked(targets)))]) if {
	count(marked(targets)) > 0
} else := ""

marked(targets) := {o.prefix | some o in targets; o.result == "forced_past_marker"}

# poetry reads only `true` and `1` as true (any case from 2.1): say so when the value looks true.
surprise(s) := "; poetry reads every value but `true` and `1` as false" if {
	s.source != "config_file"
	lower(s.value) in {"yes", "on", "y", "t", "true", "2"}
} else := ""
