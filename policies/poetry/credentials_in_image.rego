# METADATA
# title: poetry credentials are stored in the image
# description: >-
#   `POETRY_HTTP_BASIC_<SOURCE>_PASSWORD`, `POETRY_PYPI_TOKEN_<SOURCE>`, a password or token in
#   poetry's `auth.toml`, `config.toml` or a `poetry.toml`, or credentials in a repository URL,
#   are readable by anyone who can pull the image.
# related_resources:
#   - https://python-poetry.org/docs/repositories/#configuring-credentials
#   - https://docs.docker.com/build/building/secrets/
# custom:
#   id: POETRY002
#   name: poetry-credentials-in-image
#   severity: critical
#   domains: [python_tools]
#   remediation: >-
#     Rotate the credential now. Pass it to the one `RUN` that needs it as a build secret
#     (`RUN --mount=type=secret,id=poetry_pw POETRY_HTTP_BASIC_PRIVATE_PASSWORD=$(cat
#     /run/secrets/poetry_pw) poetry install`), and never run `poetry config http-basic` or
#     `pypi-token` in a build: without a keyring poetry writes the secret in plain text.
package imgaudit.rules.poetry002

import rego.v1

# Every source counts, read or not: a hidden or overridden credential still leaks.
deny contains finding if {
	some s in input.tool_settings
	s.tool == "poetry"
	s.has_credentials
	finding := {
		"msg": sprintf("%s in %s holds a credential poetry sends to a package index (shown redacted); anyone who can pull the image can read it%s. Rotate it and pass it as a build secret to the one command that needs it.", [shown(s), where(s), plaintext(s)]),
		"precision": s.precision,
		"evidence": evidence(s),
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

# `poetry config http-basic/pypi-token` in a container (no keyring) writes auth.toml in clear.
plaintext(s) := ", in plain text (what `poetry config` writes when no keyring is available, as in any container)" if {
	s.source == "config_file"
	endswith(s.file, "/auth.toml")
} else := ""

evidence(s) := {"path": s.file, "key": s.name, "source": s.source, "setting": s.id} if {
	s.source == "config_file"
} else := {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id}
