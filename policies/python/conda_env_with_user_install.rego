# METADATA
# title: installs into a conda environment go to ~/.local instead
# description: >-
#   A user-install switch is active and the image has a conda environment. pip does not treat
#   conda environments as virtual environments, so it does not refuse: every `pip install` in
#   that environment silently lands in the user site.
# related_resources:
#   - https://docs.conda.io/projects/conda/en/latest/user-guide/tasks/manage-environments.html#using-pip-in-an-environment
#   - https://github.com/pypa/pip/issues/5735
# custom:
#   id: PY005
#   name: conda-env-with-user-install
#   severity: high
#   domains: [python]
#   remediation: >-
#     Remove the PIP_USER/PIP_NO_USER setting (or set PIP_USER=0) so that pip installs into the
#     conda environment it runs in.
package imgaudit.rules.py005

import data.imgaudit.lib.describe
import rego.v1

deny contains finding if {
	some p in input.pythons
	p.kind == "conda"
	launches := sort([d.launch | some d in p.decisions; d.outcome == "user"; d.user_setting != null])
	count(launches) > 0
	setting := [input.pip_settings[d.user_setting] | some d in p.decisions; d.outcome == "user"; d.user_setting != null][0]
	finding := {
		"msg": sprintf("%s makes `pip install` in the conda environment %s install into %s instead (%s launches): pip does not treat conda environments as virtual environments, so nothing stops it.", [describe.setting(setting), p.prefix, input.runtime.user_base, concat(", ", launches)]),
		"evidence": {"path": p.prefix, "variable": setting.name, "value": setting.value, "source": setting.source, "launches": launches},
		"locations": [setting.origin],
	}
}
