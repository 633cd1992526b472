//! The built-in lifecycle machines, written in the same RON as user machines.

use crate::model::spec::MachineSpec;

/// Ids of the built-in machines, in the order they precede user machines.
pub(crate) const DEFAULT: &str = "default";
pub(crate) const RECURRING: &str = "recurring";

/// The built-in machine specs. The text is a compile-time constant covered by tests, so
/// a failure here is a bug in this crate; it degrades to "no built-ins" rather than panic.
pub(crate) fn machines() -> Vec<MachineSpec> {
    crate::front::load::parse_ron(include_str!("builtin.ron"), &crate::Limits::default())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn builtin_machines_parse() {
        let machines = super::machines();
        let ids: Vec<_> = machines.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, [super::DEFAULT, super::RECURRING]);
    }
}
