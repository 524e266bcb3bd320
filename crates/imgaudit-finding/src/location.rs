//! Where something is in the image.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Where a fact comes from, and so where a finding about it is: a file (and line) of the final
/// tree, the layer that wrote it and the history step that made that layer, or the history step
/// that set a config value. The facts make these; a policy passes them on in a finding's
/// `locations`; reports show the first one and map its history step to a Dockerfile line.
///
/// Fields are declared in alphabetical order, the order Rego gives an object's keys, so that a
/// location serializes alike whether it went through a policy or not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Location {
    /// That step's `created_by`, for the reader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// The history step that made that layer or set that config value (index into `history`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history_step: Option<usize>,
    /// The layer that wrote the file (index into `layers`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<usize>,
    /// 1-based line in that file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The file in the image, absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Keys a user's policy added beyond these, kept as they were given.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: BTreeMap<String, Json>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_in_rego_key_order_and_keeps_unknown_keys() {
        let location = Location {
            created_by: Some("RUN x".into()),
            history_step: Some(2),
            layer: Some(1),
            line: Some(3),
            path: Some("/etc/pip.conf".into()),
            extra: BTreeMap::new(),
        };
        assert_eq!(
            serde_json::to_string(&location).unwrap(),
            r#"{"created_by":"RUN x","history_step":2,"layer":1,"line":3,"path":"/etc/pip.conf"}"#
        );
        let parsed: Location = serde_json::from_value(json!({"path": "/a", "rank": 2})).unwrap();
        assert_eq!(parsed.path.as_deref(), Some("/a"));
        assert_eq!(parsed.extra.get("rank"), Some(&json!(2)));
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            json!({"path": "/a", "rank": 2})
        );
    }

    #[test]
    fn wrong_types_are_refused() {
        assert!(serde_json::from_value::<Location>(json!({"line": "three"})).is_err());
        assert!(serde_json::from_value::<Location>(json!({"layer": -1})).is_err());
    }
}
