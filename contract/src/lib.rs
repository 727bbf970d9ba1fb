//! The service contract (design §5) as data, and what it takes to check a
//! server against it over real loopback HTTP.
//!
//! - [`contract`]: the requests, and the status and body each must get.
//! - [`difference`]: a wrong answer shown so that the difference can be
//!   seen, invisible characters included.
//! - [`upstream`]: rates services that work, are down, fail or are slow.

pub mod contract;
pub mod difference;
pub mod upstream;
