# METADATA
# title: a private key is in the image
# description: >-
#   A file of the final tree holds a private key: a PEM block (RSA, EC, DSA, PKCS#8, encrypted,
#   OpenSSH, PGP) with a key body, a PuTTY key, or a PKCS#12 key store. Anyone who can pull the
#   image can copy it. Certificates, CA bundles and public keys are not private keys and are
#   never reported; keys that look like a package's own test fixtures are left out.
# related_resources:
#   - https://docs.docker.com/build/building/secrets/
#   - https://docs.docker.com/build/building/multi-stage/
# custom:
#   id: SEC001
#   name: private-key-in-image
#   severity: critical
#   domains: [secrets]
#   remediation: >-
#     Treat the key as compromised: revoke or rotate it. Mount keys at build time with
#     `RUN --mount=type=secret` or `RUN --mount=type=ssh`, or build with them in an earlier stage
#     of a multi-stage build and copy only the artifacts; at run time, mount keys from a secret
#     store.
package imgaudit.rules.sec001

import data.imgaudit.lib.describe
import rego.v1

deny contains finding if {
	some f in input.secret_files
	f.category == "private-key"
	f.in_final_tree
	not f.fixture
	finding := {
		"msg": sprintf("%s line %d%s holds a private key (%s, shown as %s); anyone who can pull the image can copy it. Rotate the key and pass it at build time with RUN --mount=type=secret (or --mount=type=ssh), or keep it in an earlier stage of a multi-stage build.", [f.path, f.line, describe.layer(f.origin), f.detector, shown(f.shown)]),
		"evidence": {"path": f.path, "line": f.line, "detector": f.detector, "shown": f.shown},
		"locations": [f.origin],
	}
}

# `MIIE… (1592 chars, sha256 1a2b3c4d)`: never the value.
shown(s) := sprintf("%s… (%d chars, sha256 %s)", [s.prefix, s.length, s.hash])
