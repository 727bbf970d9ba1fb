//! Part 3: pure synchronous code.
//!
//! - [`routes`]: which page a request asks for, by the same rules as axum's
//!   router, so this server answers exactly as the two async ones do.
//! - [`sync_server`]: a pool of threads, each serving one request at a time
//!   from start to finish, blocking while the rates arrive. Flask's threaded
//!   development server does the same, with a thread per request.

pub mod routes;
pub mod sync_server;
