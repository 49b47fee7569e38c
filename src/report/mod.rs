//! Reports written by opsdeck: the incident postmortem export and (later) the weekly report.

pub mod incident;
