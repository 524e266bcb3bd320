//! poetry: its installation, configuration files and settings (filled in with the measured
//! semantics of `imgaudit-poetry`).

use super::{ToolFound, ToolInput};

/// The capture patterns this module reads.
pub(crate) const CAPTURE: &[&str] = &[];

pub(crate) fn collect(_input: &ToolInput<'_>) -> ToolFound {
    ToolFound::default()
}
