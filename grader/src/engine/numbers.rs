//! Every number a check stands on, one place a part, each with why it is
//! what it is. The margins are wide on purpose: noise only ever adds time,
//! and every limit sits where added time cannot turn a wrong answer right,
//! nor a right one wrong.
//!
//! First what every part's server meets (the contract, computed and
//! concurrency checks run on each), then each part's own. The engine's own
//! numbers (a request's timeout, the hang-ups' waves, the sustained phase's
//! clients) stay with the piece that uses them.

use std::time::Duration;

/// The rates service's latency in the checks that count round trips. A
/// second: far above anything a loaded laptop adds to a loopback request,
/// so one round trip and two never blur, and short enough for a verdict in
/// a few seconds.
pub const ROUND_TRIP: Duration = Duration::from_secs(1);

/// Conversions in flight at once. With N = 25, √N = 5: a threshold of 5
/// round trips sits 5× above the ideal (1) and 5× below the serial case
/// (25), so noise would have to multiply a time by 5 to flip a verdict.
pub const IN_FLIGHT: usize = 25;

/// At most this many round trips for `IN_FLIGHT` conversions at once.
pub const THRESHOLD: u32 = 5;

/// `/health` is asked this long after the conversions left, a tenth of a
/// round trip: they are all waiting for the rates by then.
pub const HEALTH_AFTER: Duration = Duration::from_millis(ROUND_TRIP.as_millis() as u64 / 10);

/// If something blocks the worker, `/health` waits for the rest of that
/// round trip at least (0.9 of it): a limit of half a round trip cannot pass
/// a blocked server however noisy the machine, and gives a free one 500 ms
/// for a reply that takes 2, even on a laptop busy with two checks and a
/// build.
pub const HEALTH_LIMIT: Duration = Duration::from_millis(500);

/// The server's upstream timeout where the check is not about deadlines:
/// twenty round trips, so that only what the check measures decides.
pub const PATIENT: Duration = Duration::from_secs(20);

/// The server's `--rates-ttl` where the check is not about the cache: an
/// hour, longer than any check, so rates once fetched are never fetched
/// again.
pub const NEVER_EXPIRES: Duration = Duration::from_secs(3600);

/// The contract check: after this many requests in a row get no answer in
/// time, the server is stuck, and asking more would only make the learner
/// wait.
pub const STUCK_AFTER: usize = 2;

/// All the contract's requests' time. A right server answers them in about
/// half a second (the slowest wait out its 300 ms upstream timeout): ten
/// times that, and one that crawls is told so in seconds.
pub const CONTRACT_LIMIT: Duration = Duration::from_secs(5);

/// The computed check's random conversions' time, all told: a right server
/// answers them in milliseconds.
pub const COMPUTED_LIMIT: Duration = Duration::from_secs(3);

/// Conversions each connection sends in the computed check's sustained
/// phase.
pub const SUSTAINED_EACH: usize = 45;

/// Part 1: the command-line client.
pub mod part1 {
    use std::time::Duration;

    /// How long `client USD 100` may take before the check calls it stuck:
    /// it makes one request, to a rates service on loopback.
    pub const CLIENT_LIMIT: Duration = Duration::from_secs(15);
}

/// Part 2: the blocking pool.
pub mod part2 {
    /// Part 2's blocking pool, as the exercise asks: `max_blocking_threads(32)`.
    pub const POOL: usize = 32;

    /// Twice the pool: a pool of exactly 32 answers in two waves of 32, one a
    /// round trip; a larger pool answers more than 32 in the first wave, a
    /// smaller one needs three waves or more.
    pub const POOL_REQUESTS: usize = 2 * POOL;
}

/// Part 3: the synchronous server's thread pool.
pub mod part3 {
    /// Its pool in the checks, `THREADS=12` (the async servers ignore it).
    /// The threads check sends twice as many conversions; the computed check
    /// has `WAVE` more clients than that hang up.
    pub const THREADS: usize = 12;
}

/// Part 4: the deadline, the cache, cancellation and shutdown.
pub mod part4 {
    use std::time::Duration;

    // The deadline check. A right server answers at its deadline (1 s, or
    // 2 s for the late headers), a wrong one never, after 45 s (a body a
    // byte every 100 ms), or after 1.6 + 2 = 3.6 s (a deadline per step).
    // `LATE`, 3 s, sits above every right answer (by 2 s and by 1 s) and
    // below every wrong one; noise only ever adds time.

    /// The server's `--upstream-timeout` against a body that stalls or
    /// trickles right after the headers.
    pub const DEADLINE: Duration = Duration::from_secs(1);
    /// When the rates service sends its headers late: most of the deadline.
    pub const HEADERS_LATE: Duration = Duration::from_millis(1600);
    /// The server's `--upstream-timeout` against the late headers.
    pub const LATE_HEADERS_DEADLINE: Duration = Duration::from_secs(2);
    /// An answer later than this missed the deadline.
    pub const LATE: Duration = Duration::from_secs(3);
    /// Conversions at once against each broken rates service.
    pub const AGAINST_EACH: usize = 5;

    // The singleflight check.

    /// The server's `--rates-ttl`. The conversions right after the first
    /// fetch take a few milliseconds, fifty times less; and should noise
    /// delay them past the TTL, a new fetch is right then, and not held
    /// against the server.
    pub const TTL: Duration = Duration::from_secs(1);
    /// After the TTL, the check waits this much more before asking again.
    /// The server's rates expire at most a TTL after the first fetch ended
    /// (which the check sees after the server did), and time only moves on:
    /// any wait past the TTL is enough, this one is for the clock's grain.
    pub const PAST_TTL: Duration = Duration::from_millis(250);
    /// Conversions asked one after the other right after the first fetch.
    pub const REUSED: usize = 5;

    // The cancellation check.

    /// How long the first conversion may take to start its fetch: three
    /// round trips, where a right server starts it at once.
    pub const FIRST_FETCH_WITHIN: Duration = Duration::from_secs(3 * super::ROUND_TRIP.as_secs());
    /// The other conversions, waiting for the same fetch.
    pub const WAITERS: usize = 5;
    /// How long after the others set off the first client hangs up: the
    /// others have joined the fetch by then, and it is far from done.
    pub const HANG_UP_AFTER: Duration = Duration::from_millis(200);

    // The shutdown check.

    /// The rates service's latency there: two round trips, so the
    /// conversions are surely in flight when the signal comes.
    pub const SLOW_ROUND_TRIP: Duration = Duration::from_secs(2);
    /// Conversions in flight when the signal comes.
    pub const CONVERSIONS: usize = 10;
    /// Their server's `--upstream-timeout`: ten slow round trips, far past
    /// the signal, so that only the shutdown decides.
    pub const DRAIN_DEADLINE: Duration = Duration::from_secs(10 * SLOW_ROUND_TRIP.as_secs());
    /// Once the first conversion has reached the rates service, the others
    /// get this long to reach the server before the signal: they leave
    /// together, and on loopback they arrive within milliseconds.
    pub const SETTLE: Duration = Duration::from_millis(300);
    /// The new connection is tried this long after the signal.
    pub const THEN_CONNECT: Duration = Duration::from_millis(200);
    /// How long that connection may take: on loopback, a listening server
    /// accepts it at once, and a closed port refuses it at once.
    pub const CONNECT_WITHIN: Duration = Duration::from_secs(1);
    /// The server's `--grace` with 10 conversions in flight: far longer than
    /// they take, so a server that waits out its grace is caught.
    pub const GRACE: Duration = Duration::from_secs(10);
    /// The server must have exited this long after the signal: one round
    /// trip, and a margin.
    pub const EXIT_WITHIN: Duration = Duration::from_secs(5);
    /// The `--grace` of the servers with something that never ends (a
    /// conversion stuck in flight; a background task that ignores the stop),
    /// and how much longer than that they may take to exit: a right server
    /// exits at its grace, a wrong one never, or at a bound of its own (the
    /// default grace, 10 s).
    pub const SHORT_GRACE: Duration = Duration::from_secs(1);
    pub const GRACE_MARGIN: Duration = Duration::from_secs(3);
    /// The stuck conversion's `--upstream-timeout`: a minute, so that only
    /// the grace can end its wait.
    pub const STUCK_DEADLINE: Duration = Duration::from_secs(60);
}
