//! The simulation layer: scenarios, scripted behaviours and Monte Carlo runs, driving an
//! engine [`Instance`](crate::Instance) through virtual time.
//!
//! Architecture invariant: it depends on `engine` and `model`, and on `front` only to load
//! scenario text.

pub(crate) mod behaviour;
pub(crate) mod montecarlo;
pub(crate) mod simulate;
