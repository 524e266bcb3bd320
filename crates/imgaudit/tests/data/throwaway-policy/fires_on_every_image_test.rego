package imgaudit.rules.zzz999_test

import data.imgaudit.rules.zzz999
import rego.v1

test_any_image_is_reported if {
	findings := zzz999.deny with input as {"image": {"config_digest": "sha256:00", "platform": "linux/amd64"}}
	count(findings) == 1
	some f in findings
	contains(f.msg, "linux/amd64")
}

test_nothing_without_an_image if {
	count(zzz999.deny) == 0 with input as {}
}
