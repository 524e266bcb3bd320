# METADATA
# title: every uv install goes to the system Python
# description: >-
#   `UV_SYSTEM_PYTHON` with a true value, `system = true` in a uv configuration file uv reads, or
#   `UV_PROJECT_ENVIRONMENT` naming a Python that is no virtual environment, stays in the image
#   and makes every later `uv pip install` (or `uv sync`) write into the interpreter's own
#   site-packages.
# related_resources:
#   - https://docs.astral.sh/uv/pip/environments/
#   - https://docs.astral.sh/uv/reference/environment/
# custom:
#   id: UV001
#   name: uv-system-install-forced
#   severity: medium
#   domains: [python, python_tools]
#   remediation: >-
#     Create a virtual environment (`uv venv /opt/venv`) and point uv at it
#     (`ENV VIRTUAL_ENV=/opt/venv` or `UV_PROJECT_ENVIRONMENT=/opt/venv`), or pass `--system` to the
#     one command that needs it.
package imgaudit.rules.uv001

import data.imgaudit.lib.uv
import rego.v1

deny contains finding if {
	some s in uv.counting
	s.option == "system"
	s.parsed == "true"
	finding := {
		"msg": sprintf("%s in %s makes every later `uv pip install` target the system Python instead of a virtual environment: %s. Use `uv venv` with VIRTUAL_ENV or UV_PROJECT_ENVIRONMENT, or pass --system to the one command that needs it.", [uv.setting(s), uv.source(s), uv.outcomes(s)]),
		"severity": severity(s),
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id},
		"locations": [s.origin],
	}
}

# `uv sync` into a project environment that is a system interpreter: the marker is not consulted
# (UV-SEMANTICS.md §4). A project environment that is a venv has no outcome and stays quiet.
deny contains finding if {
	some s in uv.counting
	s.option == "project-environment"
	count(s.outcomes) > 0
	finding := {
		"msg": sprintf("%s in %s makes `uv sync` install into the system Python (%s) without consulting its PEP 668 marker: %s. Point UV_PROJECT_ENVIRONMENT at a virtual environment made with `uv venv`.", [uv.setting(s), uv.source(s), concat(", ", [o.prefix | some o in s.outcomes]), uv.outcomes(s)]),
		"severity": "high",
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id},
		"locations": [s.origin],
	}
}

# Worse where an install actually lands in a system interpreter (no marker, or forced past it).
severity(s) := "high" if {
	some o in s.outcomes
	o.result in {"installs", "forced_past_marker"}
} else := "medium"
