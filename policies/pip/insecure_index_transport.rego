# METADATA
# title: packages can reach pip or uv without TLS
# description: >-
#   A trusted host (`trusted-host`, `PIP_TRUSTED_HOST`), an insecure host for uv
#   (`allow-insecure-host`, `UV_INSECURE_HOST`), or an index or links URL over plain http to a
#   host other than this machine: anyone on the network path can swap the packages in transit.
# related_resources:
#   - https://pip.pypa.io/en/stable/cli/pip/#cmdoption-trusted-host
#   - https://docs.astral.sh/uv/reference/settings/#allow-insecure-host
# custom:
#   id: PIP006
#   name: insecure-index-transport
#   severity: high
#   domains: [python, python_tools]
#   remediation: >-
#     Serve the index over https with a certificate the image trusts (add a private CA with
#     `cert`/`PIP_CERT` or `SSL_CERT_FILE`/`UV_NATIVE_TLS`), and drop the trusted or insecure
#     host setting. Pin with hashes (`--require-hashes`) where the transport cannot be fixed.
package imgaudit.rules.pip006

import data.imgaudit.lib.describe
import rego.v1

# pip: a trusted host accepts plain http and turns off certificate checks for that host
# (tests/ground-truth/PIP-INDEX-SEMANTICS.md §3.3).
deny contains finding if {
	some s in describe.effective_settings
	s.option == "trusted-host"
	trim_space(s.value) != ""
	finding := {
		"msg": sprintf("%s in %s makes pip trust %s: pip then accepts plain http from it and skips TLS certificate checks, so anyone on the network path can swap the packages it downloads. Serve the index over https with a certificate the image trusts (cert/PIP_CERT for a private CA) and drop trusted-host.", [describe.setting(s), describe.source(s), describe.one_line(s.value)]),
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id},
		"locations": [s.origin],
	}
}

# pip: an http index or links page on another machine. pip skips it with a warning unless its
# host is trusted (§3.2), and once trusted fetches it without TLS; a `--trusted-host` on a
# RUN line does not show in the image.
deny contains finding if {
	some s in describe.effective_settings
	s.option in {"index-url", "extra-index-url", "find-links"}
	hosts := insecure_hosts(s)
	count(hosts) > 0
	finding := {
		"msg": sprintf("%s in %s points pip at %s over plain http. pip skips such a location unless its host is trusted (trusted-host, PIP_TRUSTED_HOST or --trusted-host on the command line), and once it is trusted the packages travel without TLS and can be swapped in transit. Use https.", [describe.setting(s), describe.source(s), concat(", ", hosts)]),
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id, "hosts": hosts},
		"locations": [s.origin],
	}
}

# uv: hosts whose certificates uv does not check.
deny contains finding if {
	some s in input.tool_settings
	s.tool == "uv"
	s.option == "allow-insecure-host"
	s.counts
	trim_space(s.value) != ""
	finding := {
		"msg": sprintf("%s in %s makes uv skip TLS certificate checks for %s, so anyone on the network path can swap the packages it downloads. Give uv the private CA instead (SSL_CERT_FILE, or UV_NATIVE_TLS=1 with the CA in the system store) and drop the setting.", [tool_setting(s), tool_source(s), s.value]),
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id, "tool": "uv"},
		"locations": [s.origin],
	}
}

# uv: an index URL over plain http to another machine, which uv fetches as it is.
deny contains finding if {
	some s in input.tool_settings
	s.tool == "uv"
	s.counts
	hosts := insecure_hosts(s)
	count(hosts) > 0
	finding := {
		"msg": sprintf("%s in %s points uv at %s over plain http: the packages travel without TLS and can be swapped in transit. Use https.", [tool_setting(s), tool_source(s), concat(", ", hosts)]),
		"precision": s.precision,
		"evidence": {"variable": s.name, "value": s.value, "source": s.source, "setting": s.id, "tool": "uv", "hosts": hosts},
		"locations": [s.origin],
	}
}

# Plain-http hosts that are not this machine (`localhost`, 127.0.0.0/8 and ::1 never leave it).
insecure_hosts(s) := sort({u.host |
	some u in s.urls
	u.plain_http
	not u.loopback
	u.host != null
})

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
