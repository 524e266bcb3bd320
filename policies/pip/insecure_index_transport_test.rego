package imgaudit.rules.pip006_test

import data.imgaudit.rules.pip006
import rego.v1

url(host, scheme, loopback) := {"scheme": scheme, "host": host, "port": null, "loopback": loopback, "plain_http": scheme == "http", "has_credentials": false}

setting(name, option, value, urls) := {
	"id": 0, "source": "env", "name": name, "option": option, "value": value,
	"parsed": "text", "effect": "index", "ignored_because": [], "has_credentials": false,
	"urls": urls, "precision": "high", "readers": ["all"], "origin": {},
}

uv(name, option, value, urls) := {
	"id": 0, "tool": "uv", "source": "env", "name": name, "option": option, "file": null,
	"value": value, "parsed": "text", "counts": true, "ignored_because": [], "has_credentials": false,
	"urls": urls, "outcomes": [], "conditional": false, "precision": "high", "readers": ["all"], "origin": {},
}

test_pip_trusted_host if {
	findings := pip006.deny with input as {"pip_settings": [setting("PIP_TRUSTED_HOST", "trusted-host", "pkgs.example", [])], "tool_settings": []}
	count(findings) == 1
	some f in findings
	contains(f.msg, "trust pkgs.example")
	contains(f.msg, "certificate")
}

test_pip_trusted_host_in_a_config_file if {
	s := object.union(setting("trusted-host", "trusted-host", "10.0.0.5\n10.0.0.6", []), {"source": "pip_config", "section": "install", "origin": {"path": "/etc/pip.conf", "line": 4}})
	findings := pip006.deny with input as {"pip_settings": [s], "tool_settings": []}
	some f in findings
	contains(f.msg, "/etc/pip.conf [install] line 4")
	contains(f.msg, "trust 10.0.0.5 10.0.0.6")
}

test_empty_or_overridden_trusted_host_is_quiet if {
	count(pip006.deny) == 0 with input as {"pip_settings": [setting("PIP_TRUSTED_HOST", "trusted-host", "", [])], "tool_settings": []}
	s := object.union(setting("trusted-host", "trusted-host", "pkgs.example", []), {"ignored_because": ["overridden by PIP_TRUSTED_HOST=other.example"]})
	count(pip006.deny) == 0 with input as {"pip_settings": [s], "tool_settings": []}
}

test_pip_http_index_on_another_machine if {
	s := setting("PIP_INDEX_URL", "index-url", "http://10.0.0.5:8080/simple", [url("10.0.0.5", "http", false)])
	findings := pip006.deny with input as {"pip_settings": [s], "tool_settings": []}
	count(findings) == 1
	some f in findings
	contains(f.msg, "10.0.0.5 over plain http")
	f.evidence.hosts == ["10.0.0.5"]
}

test_pip_http_find_links if {
	s := setting("PIP_FIND_LINKS", "find-links", "http://wheels.example/", [url("wheels.example", "http", false)])
	count(pip006.deny) == 1 with input as {"pip_settings": [s], "tool_settings": []}
}

test_pip_http_on_localhost_is_quiet if {
	s := setting("PIP_INDEX_URL", "index-url", "http://localhost:3141/root/pypi", [url("localhost", "http", true)])
	count(pip006.deny) == 0 with input as {"pip_settings": [s], "tool_settings": []}
}

test_pip_https_is_quiet if {
	s := setting("PIP_EXTRA_INDEX_URL", "extra-index-url", "https://pkgs.example/simple", [url("pkgs.example", "https", false)])
	count(pip006.deny) == 0 with input as {"pip_settings": [s], "tool_settings": []}
}

test_uv_insecure_host if {
	findings := pip006.deny with input as {"pip_settings": [], "tool_settings": [uv("UV_INSECURE_HOST", "allow-insecure-host", "pkgs.example", [])]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "UV_INSECURE_HOST=pkgs.example")
}

test_uv_http_index if {
	s := uv("UV_INDEX_URL", "index-url", "http://10.0.0.5/simple", [url("10.0.0.5", "http", false)])
	findings := pip006.deny with input as {"pip_settings": [], "tool_settings": [s]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "points uv at 10.0.0.5")
}

test_uv_http_index_in_uv_toml if {
	s := object.union(uv("url", "index", "http://10.0.0.5/simple", [url("10.0.0.5", "http", false)]), {"source": "config_file", "file": "/app/uv.toml", "origin": {"path": "/app/uv.toml", "line": 2, "layer": 3}})
	findings := pip006.deny with input as {"pip_settings": [], "tool_settings": [s]}
	some f in findings
	contains(f.msg, "/app/uv.toml line 2")
}

test_uv_http_on_localhost_is_quiet if {
	s := uv("UV_INDEX_URL", "index-url", "http://127.0.0.1:8080/simple", [url("127.0.0.1", "http", true)])
	count(pip006.deny) == 0 with input as {"pip_settings": [], "tool_settings": [s]}
}

test_uv_setting_uv_does_not_read_is_quiet if {
	s := object.union(uv("UV_INSECURE_HOST", "allow-insecure-host", "pkgs.example", []), {"counts": false, "ignored_because": ["UV_NO_CONFIG"]})
	count(pip006.deny) == 0 with input as {"pip_settings": [], "tool_settings": [s]}
}
