# METADATA
# title: pip or uv installs a package from whichever index offers the highest version
# description: >-
#   An extra index on another host than the index (`PIP_EXTRA_INDEX_URL`, `extra-index-url`), or
#   uv told to search every index (`index-strategy` / `UV_INDEX_STRATEGY` set to
#   `unsafe-best-match` or `unsafe-first-match`): a package published on the public index under a
#   private package's name, with a higher version, is installed instead of yours.
# related_resources:
#   - https://pip.pypa.io/en/stable/cli/pip_install/#cmdoption-extra-index-url
#   - https://docs.astral.sh/uv/configuration/indexes/#searching-across-multiple-indexes
#   - https://peps.python.org/pep-0708/
# custom:
#   id: PIP005
#   name: extra-index-dependency-confusion
#   severity: medium
#   domains: [python, python_tools]
#   remediation: >-
#     Serve every package through one index (a repository manager that hosts your private
#     packages and proxies the public index, with your names blocked upstream), or pin with
#     hashes (`--require-hashes`). For uv, keep the default `first-index` strategy and list the
#     private index first.
package imgaudit.rules.pip005

import data.imgaudit.lib.describe
import rego.v1

# pip: every extra index whose host is not the index's. pip reads all of them and installs the
# highest version found anywhere (tests/ground-truth/PIP-INDEX-SEMANTICS.md §1.1); an extra
# index on the index's own host is another repository of the same server, so it is left alone.
deny contains finding if {
	not pip_reads_no_index
	some s in describe.effective_settings
	s.option == "extra-index-url"
	foreign := sort({u.host | some u in s.urls; u.host != null; not u.host in index_hosts})
	count(foreign) > 0
	finding := {
		"msg": sprintf("%s in %s adds %s besides %s: pip asks every index and installs the highest version found on any of them, so a package published there (or on the public index) under one of your package names with a higher version replaces yours (dependency confusion). Serve everything through one index, or pin with hashes.", [describe.setting(s), describe.source(s), concat(", ", foreign), index_words]),
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id, "hosts": foreign},
		"locations": [s.origin],
	}
}

# uv: its default `first-index` stops at the first index that has the name; the unsafe
# strategies look further.
deny contains finding if {
	some s in input.tool_settings
	s.tool == "uv"
	s.option == "index-strategy"
	s.counts
	some strategy, how in unsafe_strategies
	s.value == strategy
	finding := {
		"msg": sprintf("%s in %s makes uv %s, so a package published on another index under one of your package names can replace yours (dependency confusion). Keep the default first-index strategy and list your private index first.", [tool_setting(s), tool_source(s), how]),
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id, "tool": "uv"},
		"locations": [s.origin],
	}
}

unsafe_strategies := {
	"unsafe-best-match": "compare every index and install the best version found on any of them, as pip does",
	"unsafe-first-match": "search every index in turn until one has a compatible version, instead of stopping at the first index that has the name",
}

index_hosts contains u.host if {
	some s in describe.effective_settings
	s.option == "index-url"
	some u in s.urls
}

index_words := sprintf("the index %s", [concat(", ", sort(index_hosts))]) if {
	count(index_hosts) > 0
} else := "pip's default public index (PyPI)"

pip_reads_no_index if {
	some s in describe.effective_settings
	s.option == "no-index"
	s.effect == "no_index"
}

tool_setting(s) := sprintf("%s=%s", [s.name, s.value]) if {
	s.source != "config_file"
} else := sprintf("%s = %s", [s.name, s.value])

tool_source(s) := sprintf("the image's Env%s", [describe.step(s.origin)]) if {
	s.source == "env"
} else := sprintf("%s line %d%s, read by %s", [s.origin.path, s.origin.line, describe.layer(s.origin), describe.readers(s)]) if {
	s.source == "startup_file"
} else := sprintf("%s%s%s", [s.file, line_words(s.origin), describe.layer(s.origin)])

line_words(origin) := sprintf(" line %d", [origin.line]) if {
	origin.line != null
} else := ""
