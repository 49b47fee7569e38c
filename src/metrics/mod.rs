//! Every number opsdeck shows, computed exactly as METRICS.md defines it.
//!
//! Pure functions only: SLO attainment, error budget and multi-window burn-rate alerts
//! ([`slo`]); response SLAs, MTTA and MTTR ([`incident`]); DORA delivery metrics ([`dora`],
//! deployment rework rate in [`rework`]);
//! NPS and the customer health score ([`customer`]). Time is always passed in.

pub mod customer;
pub mod dora;
pub mod incident;
pub mod rework;
pub mod slo;
pub mod stored;
