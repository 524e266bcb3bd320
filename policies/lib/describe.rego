# Words for findings: where a setting or a file came from, the same way in every rule.
package imgaudit.lib.describe

import rego.v1

# `PIP_NO_USER=1` for a variable, `no-user = 1` for a pip config key.
setting(s) := sprintf("%s=%s", [s.name, one_line(s.value)]) if {
	s.source != "pip_config"
} else := sprintf("%s = %s", [s.name, one_line(s.value)])

# A multi-line pip.conf value (one URL per line) on one line.
one_line(text) := concat(" ", [word | some word in split(text, "\n"); word != ""])

# Where a setting was found: the config Env, a start-up file line, a pip config line.
source(s) := sprintf("the image's Env%s", [step(s.origin)]) if {
	s.source == "env"
} else := sprintf("%s line %d%s, read by %s", [s.origin.path, s.origin.line, layer(s.origin), readers(s)]) if {
	s.source == "startup_file"
} else := sprintf("%s [%s] line %d%s", [s.origin.path, s.section, s.origin.line, layer(s.origin)])

readers(s) := concat(", ", s.readers) if {
	count(s.readers) > 0
} else := "no shell at all"

# ` (history step 3: ENV PIP_NO_USER=1)` when the history names the step.
step(origin) := sprintf(" (history step %d: %s)", [origin.history_step, origin.created_by]) if {
	origin.history_step != null
	origin.created_by
} else := ""

# ` (layer 2, history step 3: RUN ...)` for files.
layer(origin) := sprintf(" (layer %d%s)", [origin.layer, step_suffix(origin)]) if {
	origin.layer != null
} else := ""

step_suffix(origin) := sprintf(", history step %d: %s", [origin.history_step, origin.created_by]) if {
	origin.history_step != null
	origin.created_by
} else := ""

# Settings that count: not ignored by every pip in the image, not overridden, not hidden.
effective_settings contains s if {
	some s in input.pip_settings
	count(s.ignored_because) == 0
}
