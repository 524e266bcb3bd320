# Words for uv's findings: a setting and where it was found, the same way in every uv rule.
package imgaudit.lib.uv

import data.imgaudit.lib.describe
import rego.v1

# `UV_SYSTEM_PYTHON=1` for a variable, `pip.system = true` for a configuration key.
setting(s) := sprintf("%s=%s", [s.name, s.value]) if {
	s.source != "config_file"
} else := sprintf("%s = %s", [s.name, s.value])

# Where a setting was found: the config Env, a start-up file line, a uv configuration file line.
source(s) := describe.source(s) if {
	s.source != "config_file"
} else := sprintf("%s line %d%s", [s.origin.path, s.origin.line, describe.layer(s.origin)]) if {
	s.origin.line
} else := sprintf("%s%s", [s.file, describe.layer(s.origin)])

# uv's settings that count: uv in the image reads them and nothing overrides them.
counting contains s if {
	some s in input.tool_settings
	s.tool == "uv"
	s.counts
}

# What an install does to one interpreter, in words.
outcome(o) := sprintf("%s refuses it (its PEP 668 marker)", [o.prefix]) if {
	o.result == "refused_by_marker"
} else := sprintf("it goes past the PEP 668 marker of %s", [o.prefix]) if {
	o.result == "forced_past_marker"
} else := sprintf("it installs into %s", [o.prefix]) if {
	o.result == "installs"
} else := sprintf("%s: %s", [o.prefix, o.detail])

outcomes(s) := concat("; ", [outcome(o) | some o in s.outcomes]) if {
	count(s.outcomes) > 0
} else := "the image has no system Python yet, so it waits for one installed later"
