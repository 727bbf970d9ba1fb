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

/// Part 5: the quota, shedding, hang-ups and spans.
pub mod part5 {
    use std::time::Duration;

    /// The rates service's quota, and the server's `--max-fetches`: N.
    pub const QUOTA: usize = 8;
    /// The rates service's round trip in the quota and no-leak checks: a
    /// fifth of a second, so that ten round trips (80 conversions through 8
    /// permits) take 2 s, and far above what loopback and a busy laptop add
    /// to one (a few milliseconds).
    pub const ROUND_TRIP: Duration = Duration::from_millis(200);
    // The quota check.

    /// Conversions at once: 10× the quota.
    pub const CLIENTS: usize = 10 * QUOTA;
    /// How long each may take. A right server answers them all in ten round
    /// trips, 2 s; a server that serialises its fetches needs 16 s, and is
    /// told so from what the rates service counted, well before.
    pub const QUOTA_TIMEOUT: Duration = Duration::from_secs(4);

    // The shedding check.

    /// The whole shedding check's time, from when the part's checks start:
    /// the wait for quiet (`QUIET_WITHIN` at most), its launch, and the
    /// load's 5.2 s (`OFFERED_FOR` and `LOAD_TIMEOUT`), so that the verdict
    /// comes within 10 s. The launch has what the others leave, 0.6 s: a
    /// rates service in the grader and a server that prints its port, tens
    /// of milliseconds on a quiet machine (which it has by then).
    pub const SHEDDING_LIMIT: Duration = Duration::from_millis(8800);
    const _: () = assert!(
        QUIET_WITHIN.as_millis() + OFFERED_FOR.as_millis() + LOAD_TIMEOUT.as_millis() + 600
            <= SHEDDING_LIMIT.as_millis(),
        "the shedding check's wait and load leave its launch no time"
    );

    /// The rates service's round trip there: long, so that 10× the
    /// capacity is 200 requests a second. A debug server and the grader's
    /// load take that on two cores busy with other builds; at 400 a second
    /// a right server stopped answering in time beside them.
    pub const SHED_ROUND_TRIP: Duration = Duration::from_millis(400);
    /// Its jitter, either way: it keeps the 8 fetches from moving in
    /// lock-step, so that the fetches counted in a window are not a whole
    /// number of rounds, give or take 8.
    pub const JITTER: Duration = Duration::from_millis(80);
    /// The capacity there: 8 ÷ 400 ms, 20 conversions a second.
    pub const SHED_CAPACITY: f64 = QUOTA as f64 / (SHED_ROUND_TRIP.as_millis() as f64 / 1000.0);
    /// How long the check waits, from when the part's checks start, for
    /// the others to be done before it starts (`kinds::Machine::Quiet`,
    /// `engine::quiet`): they take 2 to 3 s when right; one that crawls is
    /// not waited out.
    pub const QUIET_WITHIN: Duration = Duration::from_secs(3);
    /// The server's `--max-wait`: how long a request may wait for a permit.
    /// Well under `SHED_LIMIT`, so a right server sheds 40 ms inside it.
    pub const MAX_WAIT: Duration = Duration::from_millis(10);
    /// Offered: 10× the capacity, at a constant rate (an open loop).
    pub const OFFERED: f64 = 10.0 * SHED_CAPACITY;
    /// For this long: 10 round trips, 800 conversions.
    pub const OFFERED_FOR: Duration = Duration::from_secs(4);
    /// A shed answer must come within this (the 50 ms), beyond what
    /// the machine adds to any answer at that moment (the 90th percentile
    /// of `/health`'s, asked meanwhile): a right one comes after `MAX_WAIT`
    /// at most (or at once), a shed that waits for a permit first after a
    /// round trip or more. Noise slows `/health` as much as a shed; a queue
    /// slows only the shed.
    pub const SHED_LIMIT: Duration = Duration::from_millis(50);
    /// An admitted answer must come within two round trips and the wait
    /// (and what the machine adds, as for a shed): a right one takes one
    /// round trip (±80 ms) and the wait, so a round trip of noise is
    /// allowed; one behind a queue without end waits longer every second.
    pub const ADMITTED_LIMIT: Duration =
        Duration::from_millis(2 * SHED_ROUND_TRIP.as_millis() as u64 + MAX_WAIT.as_millis() as u64);
    /// How long the load's requests wait for an answer at all: past the
    /// admitted limit, so a late answer is seen late, not lost; short
    /// enough that a server that queues without end holds at most 240 of
    /// the grader's connections.
    pub const LOAD_TIMEOUT: Duration = Duration::from_millis(1200);
    /// Goodput (200s within `ADMITTED_LIMIT`, a second) must reach this
    /// share of the capacity. A right server loses a few milliseconds a
    /// round trip, and a permit free for a moment now and then: 95 to 105 %
    /// (the 8 fetches that start at once add a round's worth). A lock that
    /// serialises fetches reaches 12.5 %, a permit held half a round trip
    /// past its fetch 67 %, a queue without end a few %.
    pub const GOODPUT_SHARE: f64 = 0.90;
    /// `/health` is asked this often during the load, and must answer 200
    /// every time, half the time within `SHED_LIMIT` at least (a `/health`
    /// behind the queue is shed, or waits, every time; beside builds of
    /// other work trees, a right server's took up to 148 ms, 8 times in 29).
    pub const HEALTH_EVERY: Duration = Duration::from_millis(100);
    /// How many shed answers may be later than their limit, admitted ones
    /// later than theirs, and requests without an answer: one in ten. CI
    /// grades four parts at once beside builds, and a right server's sheds
    /// then came 4 % late (up to 69 ms) in one run. A shed that waits first,
    /// or a queue without end, makes nearly all of them late.
    pub const LATE_SHARE: f64 = 0.10;

    // The no-leak check.

    /// The whole no-leak check's time, from before its servers start: a
    /// right server needs about 2 s (1.3 to 4.9 s measured beside other
    /// builds). Every wait in it takes what is left of this at most, so
    /// that its verdict, the servers' stop included, comes within 10 s
    /// (a handler on a task of its own took 10.7 s when this counted from
    /// the launch, 9 s, and a wait of 500 ms stood outside it).
    pub const NO_LEAK_LIMIT: Duration = Duration::from_millis(8500);
    /// Clients that hang up mid-fetch, 8 at a time (the quota).
    pub const MID_FETCH: usize = 200;
    /// Clients that hang up while they wait for a permit, `WAITERS` at a
    /// time, while 8 others hold the permits.
    pub const WAITING: usize = 800;
    pub const WAITERS: usize = 50;
    /// The server's `--max-wait` there: long enough that a waiter is still
    /// waiting when its client hangs up.
    pub const PATIENT_WAIT: Duration = Duration::from_secs(5);
    /// The round trip of the 8 fetches that hold the permits while waiters
    /// come and go: far longer than their waves take (a second; three on a
    /// busy machine). Were the permits free, a waiter would fetch, and
    /// hang up mid-fetch: its permit is free the moment axum drops it, a
    /// moment before the rates service sees the connection close, and the
    /// next waiter's fetch could be a ninth.
    pub const HOLD: Duration = Duration::from_secs(4);
    /// How long a wave's requests may take to reach the server and start
    /// (or queue for) their fetches, on loopback: milliseconds.
    pub const SETTLE: Duration = Duration::from_millis(30);
    /// How long the server is given to see that the waiters' clients left,
    /// before the holders hang up too: a waiter it has not yet dropped
    /// would take a freed permit and start a fetch, the rates service could
    /// see it a moment before the close of the fetch it follows, and refuse
    /// a ninth that no permit let through (its `QUOTA_GRACE` forgives
    /// such a moment up to 50 ms; this wait keeps it from arising). Dropping
    /// 800 reset connections takes milliseconds; well within `HOLD`, with
    /// the waves.
    pub const NOTICE: Duration = Duration::from_millis(500);
    /// How long 8 fetches may take to reach the rates service once their
    /// permits are free (milliseconds on loopback; a busy machine took
    /// hundreds), and how long a wave's fetches may take to end once their
    /// clients left: at once for a server whose fetch is dropped with its
    /// request, a round trip for one that lets it run to its end on a task
    /// of its own (which is right too).
    pub const START_WITHIN: Duration = Duration::from_millis(1500);

    // The observe check.

    /// The whole observe check's time, from before its servers start: a
    /// right server takes about 1.5 s (12 at once answered within 1.25 s,
    /// 2 that fail at once, the lines let in); each request waits what is
    /// left of this at most, so that a server that never answers is told
    /// within 10 s (a global lock took 6.3 s; three requests of 5 s each
    /// could have taken 15).
    pub const OBSERVE_LIMIT: Duration = Duration::from_millis(8500);
    /// The quota there: fewer lines to read.
    pub const OBSERVED_QUOTA: usize = 4;
    /// Its round trip: long, so that a wait of one round trip is far from
    /// none, whatever the noise.
    pub const OBSERVED_ROUND_TRIP: Duration = Duration::from_millis(500);
    /// Its `--max-wait`: one round trip and a half, so that of 3 × 4
    /// conversions at once, 4 are served at once, 4 after waiting a round
    /// trip, and 4 shed after waiting this long.
    pub const OBSERVED_WAIT: Duration = Duration::from_millis(750);
    /// A span's wait and time upstream, added, lie inside what the client
    /// measured (the connection and the answer's way back are outside):
    /// never more than it, give or take the clocks' grain (`SPAN_GRAIN`),
    /// and less by 400 ms at most. A busy machine put up to 257 ms between
    /// them; the faults are off by a round trip (500 ms: a wait not
    /// recorded, or counted with the fetch) or a thousandfold (seconds).
    pub const SPAN_TOLERANCE: Duration = Duration::from_millis(400);
    pub const SPAN_GRAIN: Duration = Duration::from_millis(20);
}

/// Part 6: retries, judged by what the rates service saw arrive.
pub mod part6 {
    use std::time::Duration;

    // The retries check.

    /// Conversions one after the other against a rates service that fails
    /// exactly the first of every 3 requests for a date. One at a time, so a
    /// failed try's retry is the next request the service counts, and it
    /// goes through: a right server answers every one 200, and the rates
    /// service sees 3 requests for every 2 conversions. Counts, not times.
    pub const FLAKY_CONVERSIONS: usize = 100;
    /// The share of them that must be answered 200: all but one. A right
    /// server answers all; one that does not retry a failure of that kind
    /// fails a third of them.
    pub const FLAKY_SHARE: f64 = 0.99;
    /// The server's `--upstream-timeout` there: its default.
    pub const FLAKY_DEADLINE: Duration = Duration::from_secs(2);
    /// Each conversion's answer within its deadline and this: a right one
    /// takes milliseconds (a wait of 50 ms at most for its one retry).
    pub const ANSWER_MARGIN: Duration = Duration::from_secs(1);
    /// All of them, one after the other, within this: a right server takes
    /// about a second (100 answers of a few milliseconds, 33 waits of 25 ms
    /// on average); the check stops asking then, and says how far it got.
    pub const FLAKY_LIMIT: Duration = Duration::from_secs(6);
    /// Conversions at once on dates the rates service refuses with a 404,
    /// then as many with a 400: each must reach it once, and only once.
    pub const REFUSED: usize = 5;
    /// How long the rates service takes to answer a 500 in the deadline
    /// scenario, every time: most of the deadline, so that the second try
    /// starts with a quarter of it left.
    pub const FAIL_AFTER: Duration = Duration::from_millis(1500);
    /// The server's `--upstream-timeout` there: the whole fetch's deadline.
    pub const WHOLE_DEADLINE: Duration = Duration::from_secs(2);
    /// The deadline scenario's answers within this. A right server answers
    /// 504 at the deadline, 2 s (its second try cut short by the time
    /// left); one whose tries each have the whole deadline, or none, waits
    /// for the second try's 500, at 1.5 + 1.5 s and more. 3 s sits a
    /// second above the right answer, and the wrong one cannot come sooner:
    /// noise only adds time.
    pub const LATE_LIMIT: Duration = Duration::from_secs(3);
    /// Conversions at once in the deadline scenario.
    pub const LATE_CONVERSIONS: usize = 3;

    // The jitter check.

    /// Conversions at once whose every try fails at once (a 503): all fail
    /// together, so their retries meet if they are not spread.
    pub const STORM: usize = 80;
    /// `--max-tries` there: three retries each, the third capped.
    pub const STORM_TRIES: u32 = 4;
    /// `--backoff-base` and `--backoff-cap` there: the retries may wait up
    /// to 600, 1200 and 1200 ms (2400 without the cap). Long, so that what
    /// the machine adds to a wait is small beside them: 80 retries made at
    /// once with no wait at all reached the rates service 8 to 68 ms after
    /// their failures on this 2-core machine, beside the part's other
    /// checks and another work tree's builds, where a right server's first
    /// retries spread over 600.
    pub const STORM_BASE: Duration = Duration::from_millis(600);
    pub const STORM_CAP: Duration = Duration::from_millis(1200);
    /// The server's `--upstream-timeout` there: past every try, uncapped
    /// waits included (4.2 s at most), so that only the waits decide.
    pub const STORM_DEADLINE: Duration = Duration::from_millis(4500);
    /// The window the retries must not crowd into: a tenth of the first
    /// retry's range.
    pub const WINDOW: Duration = Duration::from_millis(60);
    /// At most this share of one retry's waits (the first retries', the
    /// second's, the third's) in any `WINDOW`. Full jitter puts about a
    /// tenth of the first retries there (a twentieth of the later ones),
    /// and more than half in one window is a chance of next to none (41 or
    /// more of 80 draws with a chance of a tenth each: 12 standard
    /// deviations); equal jitter (half the ceiling, and a random half) a
    /// fifth. Equal waits put nearly all of them there (a fixed wait: all 80
    /// within 602 to 662 ms, measured as above; retries at once, 71 of 80),
    /// unless the machine spreads 80 requests sent at one moment over
    /// 120 ms, and then the mean tells no wait apart (`NEXT_TO_NO_WAIT`). To crowd half of a right server's first retries
    /// into one window, its process would have to stall 240 ms right then:
    /// every retry due meanwhile fires when it wakes.
    pub const MOST: f64 = 0.5;
    /// A mean first wait under this is next to no wait: full jitter's is
    /// half the first ceiling, 300 ms (± 19 over 80 conversions), and 80
    /// retries made at once with no wait were seen 8 to 68 ms after their
    /// failures on a busy machine. Said apart from a crowded window, which
    /// a machine slow to send 80 requests at once could spread.
    pub const NEXT_TO_NO_WAIT: Duration = Duration::from_millis(75);
    /// The later retries' mean wait (the second's and the third's) must be
    /// at least this many times the first's: full jitter under a doubling
    /// ceiling gives 2 (600 ms against 300, ± 0.16 over 80 conversions: 1.4
    /// is 3.8 standard deviations below), where a ceiling that does not
    /// grow gives 1 (± 0.08: 1.4 is 5 above). Noise adds as much to both
    /// means, which brings the ratio toward 1 only by a few percent.
    pub const GROWTH: f64 = 1.4;
    /// A third retry's wait past the cap by more than this is past the
    /// cap: noise adds milliseconds to a wait, not a tenth of a second.
    pub const PAST_CAP: Duration = Duration::from_millis(100);
    /// At most this share of the third retries may wait past the cap and
    /// `PAST_CAP` (a right server: none, unless it stalls); without the cap
    /// their ceiling is 2400 ms, and 46 % of them do.
    pub const PAST_CAP_SHARE: f64 = 0.10;

    // The retry_after check.

    /// What the rates service asks for in `Retry-After`, in whole seconds:
    /// a second, far longer than any backoff of the server's defaults
    /// (50 ms, then 100), so a retry that ignores it comes ten times sooner.
    pub const ASKED_SECS: u32 = 1;
    /// How much sooner than asked a retry may come in the seconds form: a
    /// timer's grain. The server reads the header after the rates service
    /// logged the request, so a right server's next try comes a second or
    /// more after it, exactly.
    pub const SECONDS_GRAIN: Duration = Duration::from_millis(20);
    /// The same for the HTTP-date form, which the rates service rounds up
    /// to the next whole second (a right client waits 1 to 2 s): the two
    /// clocks, the wall's and the monotonic one, and a date read to the
    /// second. A retry that ignores the header comes after 100 ms at most.
    pub const DATE_GRAIN: Duration = Duration::from_millis(100);
    /// The server's `--upstream-timeout` against `Retry-After: 1`: room for
    /// one wait of a second, and not for two.
    pub const SECONDS_DEADLINE: Duration = Duration::from_millis(1500);
    /// Against the HTTP-date 1 s on (a wait of 1 to 2 s): room for one.
    pub const DATE_DEADLINE: Duration = Duration::from_millis(2500);
    /// A `Retry-After` past the deadline, and that deadline: the server
    /// must not wait, nor retry, but answer at once, 503 with its own
    /// `Retry-After`.
    pub const FAR_SECS: u32 = 5;
    pub const NEAR_DEADLINE: Duration = Duration::from_secs(2);
    /// "At once": half the deadline. A right server answers in milliseconds
    /// (up to 268 ms measured beside the part's other checks and another
    /// work tree's builds); one that waits answers at the deadline or later.
    pub const AT_ONCE: Duration = Duration::from_secs(1);
    /// Conversions at once in each scenario.
    pub const POLITE: usize = 4;

    // The permits check.

    /// The server's `--max-fetches`, the conversions that wait out a
    /// `Retry-After` (one per place), and the others that come meanwhile.
    pub const HELD: usize = 8;
    /// What the rates service asks the first ones to wait, in seconds: two,
    /// so that a server whose waits hold the places answers the others two
    /// seconds late (less the moments between the first tries and theirs).
    pub const HELD_ASKED_SECS: u32 = 2;
    /// The server's `--upstream-timeout` there: room for the wait and a try.
    pub const HELD_DEADLINE: Duration = Duration::from_secs(4);
    /// The first tries seen by the rates service within this, or the server
    /// did not fetch.
    pub const HELD_SEEN: Duration = Duration::from_secs(2);
    /// The others answered within this: a right server takes a round trip
    /// of milliseconds (8 free places); one whose waits hold them answers
    /// after the wait, 1.9 s at the soonest. A second between the two.
    pub const HELD_LIMIT: Duration = Duration::from_secs(1);

    // The budget check.

    /// Conversions on a date a second, in an open loop, each a date of its
    /// own: a tenth of what the server can fetch (16 at once ÷ 50 ms).
    pub const BUDGET_RATE: f64 = 50.0;
    /// The rates service's round trip there, and the server's
    /// `--max-fetches`: a capacity of 320 a second.
    pub const BUDGET_ROUND_TRIP: Duration = Duration::from_millis(50);
    pub const BUDGET_FETCHES: usize = 16;
    /// The load before the outage (the budget earns its tokens), the
    /// outage (every request for a date a 503 at once), and after it.
    pub const BEFORE: Duration = Duration::from_secs(1);
    pub const OUTAGE: Duration = Duration::from_secs(2);
    pub const AFTER: Duration = Duration::from_secs(1);
    /// The server's `--retry-ratio`, in thousandths (0.1), and
    /// `--retry-floor` (5 a second): its defaults, said so that the
    /// check's arithmetic is the server's.
    pub const RATIO_THOUSANDTHS: u32 = 100;
    pub const FLOOR: u32 = 5;
    /// The retries during the outage may be this many times what the budget
    /// allows at most (10 % of the first tries so far, and the floor in
    /// every second the outage touches: about 30): a budget counted a
    /// little otherwise (retries that earn too, a burst saved) passes. A
    /// server without one retries every failure twice: about 200, four
    /// times the limit. Counts, not times: no noise can change them.
    pub const BUDGET_MARGIN: f64 = 1.5;
    /// And at least this share of what the budget earns in the outage (a
    /// tenth of the first tries so far), on top of the floor of its whole
    /// seconds (2 s: 10): a budget that allows what it should is used.
    /// About 17 here; a right server makes 24 or 25. A budget that never
    /// earns (the floor alone: 15 at most, in the 3 seconds the outage
    /// touches) or never lets a retry through is below it.
    pub const BUDGET_USED: f64 = 0.5;
    /// The floor of the second run, with no ratio: one retry a second, so
    /// that a floor counted one too many (two: four or more in a 2 s
    /// outage) is told from a right one (two, three at most). A count.
    pub const FLOOR_ALONE: u32 = 1;
    /// Of the conversions sent in the second after the outage, this share
    /// must be answered 200: a right server answers all of them (their
    /// first try finds the service up).
    pub const RECOVERED: f64 = 0.90;
    /// The server's `--upstream-timeout` there, and how long the load's
    /// requests wait for an answer: the deadline and a second.
    pub const BUDGET_DEADLINE: Duration = Duration::from_secs(2);
    pub const BUDGET_TIMEOUT: Duration = Duration::from_secs(3);
    const _: () = assert!(
        BEFORE.as_millis() + OUTAGE.as_millis() + AFTER.as_millis() + BUDGET_TIMEOUT.as_millis()
            <= 8000,
        "the budget check's load and its last answer leave its launch no time within 10 s"
    );
}
