package imgaudit.rules.pip005_test

import data.imgaudit.rules.pip005
import rego.v1

url(host, scheme) := {"scheme": scheme, "host": host, "port": null, "loopback": host == "localhost", "plain_http": scheme == "http", "has_credentials": false}

setting(id, name, option, value, urls) := {
	"id": id, "source": "env", "name": name, "option": option, "value": value,
	"parsed": "text", "effect": "index", "ignored_because": [], "has_credentials": false,
	"urls": urls, "precision": "high", "readers": ["all"], "origin": {},
}

extra(host) := setting(1, "PIP_EXTRA_INDEX_URL", "extra-index-url", sprintf("https://%s/simple", [host]), [url(host, "https")])

index(host) := setting(0, "PIP_INDEX_URL", "index-url", sprintf("https://%s/simple", [host]), [url(host, "https")])

uv(option, value) := {
	"id": 0, "tool": "uv", "source": "env", "name": "UV_INDEX_STRATEGY", "option": option, "file": null,
	"value": value, "parsed": "text", "counts": true, "ignored_because": [], "has_credentials": false,
	"urls": [], "outcomes": [], "conditional": false, "precision": "high", "readers": ["all"], "origin": {},
}

test_extra_index_next_to_the_default_index if {
	findings := pip005.deny with input as {"pip_settings": [extra("pkgs.example")], "tool_settings": []}
	count(findings) == 1
	some f in findings
	contains(f.msg, "pip's default public index")
	contains(f.msg, "highest version")
	f.evidence.hosts == ["pkgs.example"]
}

test_extra_index_on_another_host_than_the_index if {
	findings := pip005.deny with input as {"pip_settings": [index("mirror.example"), extra("pkgs.example")], "tool_settings": []}
	count(findings) == 1
	some f in findings
	contains(f.msg, "the index mirror.example")
}

test_extra_index_on_the_index_host_is_quiet if {
	s := object.union(extra("nexus.example"), {"value": "https://nexus.example/repository/private/simple"})
	count(pip005.deny) == 0 with input as {"pip_settings": [index("nexus.example"), s], "tool_settings": []}
}

test_only_the_foreign_hosts_of_a_list_are_named if {
	s := setting(1, "PIP_EXTRA_INDEX_URL", "extra-index-url", "https://nexus.example/a https://other.example/b", [url("nexus.example", "https"), url("other.example", "https")])
	findings := pip005.deny with input as {"pip_settings": [index("nexus.example"), s], "tool_settings": []}
	some f in findings
	f.evidence.hosts == ["other.example"]
}

test_overridden_extra_index_is_quiet if {
	s := object.union(extra("pkgs.example"), {"ignored_because": ["overridden by PIP_EXTRA_INDEX_URL="]})
	count(pip005.deny) == 0 with input as {"pip_settings": [s], "tool_settings": []}
}

test_no_index_reads_no_extra_index if {
	no_index := object.union(setting(2, "PIP_NO_INDEX", "no-index", "1", []), {"parsed": "true", "effect": "no_index"})
	count(pip005.deny) == 0 with input as {"pip_settings": [extra("pkgs.example"), no_index], "tool_settings": []}
}

test_extra_index_from_a_config_file_names_the_line if {
	s := object.union(extra("pkgs.example"), {"source": "pip_config", "name": "extra-index-url", "section": "global", "origin": {"path": "/etc/pip.conf", "line": 3, "layer": 2}})
	findings := pip005.deny with input as {"pip_settings": [s], "tool_settings": []}
	some f in findings
	contains(f.msg, "/etc/pip.conf [global] line 3")
}

test_uv_unsafe_best_match if {
	findings := pip005.deny with input as {"pip_settings": [], "tool_settings": [uv("index-strategy", "unsafe-best-match")]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "UV_INDEX_STRATEGY=unsafe-best-match")
	contains(f.msg, "best version")
}

test_uv_unsafe_first_match_from_uv_toml if {
	s := object.union(uv("index-strategy", "unsafe-first-match"), {"source": "config_file", "name": "index-strategy", "file": "/etc/uv/uv.toml", "origin": {"path": "/etc/uv/uv.toml", "line": 1, "layer": 1}})
	findings := pip005.deny with input as {"pip_settings": [], "tool_settings": [s]}
	some f in findings
	contains(f.msg, "/etc/uv/uv.toml line 1")
}

test_uv_first_index_is_quiet if {
	count(pip005.deny) == 0 with input as {"pip_settings": [], "tool_settings": [uv("index-strategy", "first-index")]}
}

test_uv_setting_uv_does_not_read_is_quiet if {
	s := object.union(uv("index-strategy", "unsafe-best-match"), {"counts": false, "ignored_because": ["uv does not read this file"]})
	count(pip005.deny) == 0 with input as {"pip_settings": [], "tool_settings": [s]}
}

test_uv_extra_index_alone_is_quiet if {
	s := object.union(uv("extra-index-url", "https://pkgs.example/simple"), {"name": "UV_EXTRA_INDEX_URL", "urls": [url("pkgs.example", "https")]})
	count(pip005.deny) == 0 with input as {"pip_settings": [], "tool_settings": [s]}
}
