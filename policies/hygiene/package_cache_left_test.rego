package imgaudit.rules.pkg001_test

import data.imgaudit.rules.pkg001
import rego.v1

cache(kind, path, files, bytes) := {
	"kind": kind, "path": path, "files": files, "bytes": bytes, "layer": 1,
	"origin": {"path": path, "layer": 1, "history_step": 2, "created_by": "RUN apt-get update && apt-get install -y curl"},
}

test_apt_lists_with_their_size_and_fix if {
	findings := pkg001.deny with input as {"caches": [cache("apt_lists", "/var/lib/apt/lists", 12, 47185920)]}
	count(findings) == 1
	some f in findings
	contains(f.msg, "/var/lib/apt/lists holds apt's package lists in 12 files (layer 1, history step 2")
	contains(f.msg, "45.0 MiB (47185920 bytes)")
	contains(f.msg, "rm -rf /var/lib/apt/lists/*")
	f.evidence.bytes == 47185920
}

test_pip_cache_says_no_cache_dir if {
	findings := pkg001.deny with input as {"caches": [cache("pip", "/root/.cache/pip", 3, 2048)]}
	some f in findings
	contains(f.msg, "pip's cache")
	contains(f.msg, "2.0 KiB (2048 bytes)")
	contains(f.msg, "--no-cache-dir")
	contains(f.msg, "target=/root/.cache/pip")
}

test_apk_and_npm if {
	findings := pkg001.deny with input as {"caches": [cache("apk", "/var/cache/apk", 2, 100), cache("npm", "/root/.npm/_cacache", 9, 900)]}
	count(findings) == 2
	some apk in findings
	contains(apk.msg, "apk add --no-cache")
	some npm in findings
	contains(npm.msg, "npm cache clean --force")
}

test_no_cache_no_finding if {
	count(pkg001.deny) == 0 with input as {"caches": []}
}
