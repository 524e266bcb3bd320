# METADATA
# title: a package manager's cache was left in the image
# description: >-
#   apt's lists or downloaded packages, apk's cache, or the pip, uv, poetry or npm cache of an
#   account stayed in the final tree: bytes every pull downloads and nothing at run time reads.
# related_resources:
#   - https://docs.docker.com/build/building/best-practices/#apt-get
#   - https://docs.docker.com/build/cache/optimize/#use-cache-mounts
# custom:
#   id: PKG001
#   name: package-cache-left
#   severity: low
#   domains: [files]
#   aliases: [DKL-DI-0005]
#   remediation: >-
#     Clean up in the same `RUN` that fills the cache (`rm -rf /var/lib/apt/lists/*` after
#     `apt-get install`, `apk add --no-cache`, `pip install --no-cache-dir`, `npm cache clean
#     --force`), or keep the cache out of the image with a cache mount
#     (`RUN --mount=type=cache,target=/root/.cache/pip`).
package imgaudit.rules.pkg001

import data.imgaudit.lib.describe
import rego.v1

deny contains finding if {
	some c in input.caches
	finding := {
		"msg": sprintf("%s holds %s in %d files%s: %s. %s", [c.path, what(c), c.files, describe.layer(c.origin), human(c.bytes), fix(c)]),
		"evidence": {"path": c.path, "kind": c.kind, "files": c.files, "bytes": c.bytes},
		"locations": [c.origin],
	}
}

what(c) := "apt's package lists" if {
	c.kind == "apt_lists"
} else := "downloaded .deb packages" if {
	c.kind == "apt_archives"
} else := "apt's binary package caches" if {
	c.kind == "apt_pkgcache"
} else := "apk's cache" if {
	c.kind == "apk"
} else := sprintf("%s's cache", [c.kind])

human(bytes) := sprintf("%d bytes", [bytes]) if {
	bytes < 1024
} else := sprintf("%s KiB (%d bytes)", [tenths(bytes, 1024), bytes]) if {
	bytes < 1048576
} else := sprintf("%s MiB (%d bytes)", [tenths(bytes, 1048576), bytes])

# `45.0`: one decimal, in integers (the engine's float formatting differs from OPA's).
tenths(bytes, unit) := sprintf("%d.%d", [floor(t / 10), t % 10]) if {
	t := floor((bytes * 10) / unit)
}

fix(c) := "Remove them in the same RUN as apt-get update: apt-get update && apt-get install -y --no-install-recommends PKG && rm -rf /var/lib/apt/lists/*." if {
	c.kind == "apt_lists"
} else := "Remove them in the same RUN as apt-get install (apt-get clean), or use a cache mount (RUN --mount=type=cache,target=/var/cache/apt)." if {
	c.kind in {"apt_archives", "apt_pkgcache"}
} else := "Use apk add --no-cache, or a cache mount (RUN --mount=type=cache,target=/var/cache/apk)." if {
	c.kind == "apk"
} else := sprintf("Use pip install --no-cache-dir (or PIP_NO_CACHE_DIR=1), or a cache mount (RUN --mount=type=cache,target=%s).", [c.path]) if {
	c.kind == "pip"
} else := sprintf("Use uv's --no-cache (UV_NO_CACHE=1) or uv cache clean in the same RUN, or a cache mount (RUN --mount=type=cache,target=%s).", [c.path]) if {
	c.kind == "uv"
} else := "Run poetry install with --no-cache, or remove the cache in the same RUN (poetry cache clear --all PyPI)." if {
	c.kind == "poetry"
} else := sprintf("Run npm cache clean --force in the same RUN as npm install, or use a cache mount (RUN --mount=type=cache,target=%s).", [c.path])
