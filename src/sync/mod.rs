//! Talking to the team's real systems: the shared HTTP policy and (in later issues) the
//! connectors and the sync engine.
//!
//! - [`secret`]: tokens (never printed, never stored) and where they come from.
//! - [`ratelimit`]: `Retry-After` and vendor reset headers, full-jitter backoff, circuit breaker.
//! - [`link`]: RFC 5988 `Link` pagination.
//! - [`http`]: one client per source with timeouts, a streamed body cap, same-origin redirects,
//!   typed errors and a serialised mutation gate.

pub mod http;
pub mod link;
pub mod ratelimit;
pub mod secret;
