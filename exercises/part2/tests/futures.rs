//! The correlation-id multiplexer: each reply reaches the caller it belongs to.
//!
//! The futures are polled by hand (tokio-test's `task::spawn`), so each test
//! sees exactly what a runtime would: a call is `Pending` while it waits, it
//! is *woken* when its reply arrives, and only then `Ready`. Nothing here
//! sleeps or waits: a future that is never completed shows up at once as
//! `Pending`, in the test that says what should have completed it.

use part2::futures::{Multiplexer, MuxError, parse_buffer};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_test::{assert_pending, assert_ready, assert_ready_eq, task};

/// The next request on the wire, as `(id, data)`, from a call now waiting.
fn next_request(mux: &Multiplexer, wire: &mut UnboundedReceiver<String>) -> (u64, String) {
    no_lock_held(mux);
    let packed = wire
        .try_recv()
        .expect("some_operation puts its request on the wire before it waits");
    parse_buffer(&packed).expect("requests go out as `<id> <request>`: use pack()")
}

#[test]
fn a_reply_wakes_and_completes_the_waiting_call() {
    let (mux, mut wire) = Multiplexer::new();
    let mut call = task::spawn(mux.some_operation("ping"));
    assert_pending!(call.poll(), "nobody has replied yet: the call must wait");
    let (id, data) = next_request(&mux, &mut wire);
    assert_eq!(data, "ping", "the request goes out as it was given");
    assert_eq!(mux.in_flight(), 1, "the call is registered while it waits");
    assert!(!call.is_woken(), "nothing has happened that could wake it");

    assert_eq!(mux.poll(&format!("{id} pong")), Ok(true));
    assert!(call.is_woken(), "poll() must wake the call it completes");
    assert_ready_eq!(call.poll(), Ok("pong".to_string()));
    assert_eq!(mux.in_flight(), 0, "nobody is left waiting");
}

#[test]
fn replies_out_of_order_reach_the_right_callers() {
    let (mux, mut wire) = Multiplexer::new();
    let mut calls: Vec<_> = ["a", "b", "c"]
        .into_iter()
        .map(|request| task::spawn(mux.some_operation(request)))
        .collect();
    let mut ids = Vec::new();
    for call in &mut calls {
        assert_pending!(call.poll());
        ids.push(next_request(&mux, &mut wire));
    }
    let distinct: std::collections::HashSet<u64> = ids.iter().map(|(id, _)| *id).collect();
    assert_eq!(distinct.len(), 3, "each call needs its own id, got {ids:?}");

    // Answered last first: each reply wakes its own caller, and only it.
    for (index, (id, data)) in ids.iter().enumerate().rev() {
        assert_eq!(mux.poll(&format!("{id} reply({data})")), Ok(true));
        for (other, call) in calls.iter_mut().enumerate().take(index) {
            assert_pending!(call.poll(), "call {other} was completed by another's reply");
        }
        assert_ready_eq!(calls[index].poll(), Ok(format!("reply({data})")));
    }
    assert_eq!(mux.in_flight(), 0, "nobody is left waiting");
}

#[test]
fn an_unknown_id_is_ignored() {
    let (mux, mut wire) = Multiplexer::new();
    let mut call = task::spawn(mux.some_operation("x"));
    assert_pending!(call.poll());
    let (id, _) = next_request(&mux, &mut wire);

    assert_eq!(mux.poll(&format!("{} stray", id + 1000)), Ok(false));
    assert!(!call.is_woken(), "a stray reply must not wake anybody");
    assert_pending!(call.poll(), "a stray reply completed the call");
    assert_eq!(mux.in_flight(), 1, "the real caller still waits");

    assert_eq!(mux.poll(&format!("{id} mine")), Ok(true));
    assert_ready_eq!(call.poll(), Ok("mine".to_string()));
}

#[test]
fn a_malformed_reply_is_an_error_not_a_panic() {
    let (mux, _wire) = Multiplexer::new();
    assert!(matches!(
        mux.poll("no-id-here"),
        Err(MuxError::Malformed(_))
    ));
    assert!(matches!(mux.poll("abc def"), Err(MuxError::Malformed(_))));
}

#[test]
fn a_caller_that_gave_up_breaks_nobody_else() {
    let (mux, mut wire) = Multiplexer::new();
    let mut impatient = task::spawn(mux.some_operation("first"));
    assert_pending!(impatient.poll());
    let (first, _) = next_request(&mux, &mut wire);
    // Giving up is dropping the future: what a timeout or a client that
    // hangs up does to it.
    drop(impatient);

    let mut patient = task::spawn(mux.some_operation("second"));
    assert_pending!(patient.poll());
    let (second, _) = next_request(&mux, &mut wire);
    assert_ne!(first, second, "a new call needs a new id");

    // The late reply finds nobody, and says so without failing.
    assert_eq!(mux.poll(&format!("{first} too late")), Ok(false));
    assert!(!patient.is_woken(), "the late reply woke the wrong caller");
    assert_eq!(mux.poll(&format!("{second} on time")), Ok(true));
    assert_ready_eq!(patient.poll(), Ok("on time".to_string()));
    assert_eq!(mux.in_flight(), 0, "nobody is left waiting");
}

/// A caller that gives up after a timeout, on paused time: tokio's clock
/// only moves when every task waits, so the test is instant and exact.
#[tokio::test(start_paused = true)]
async fn a_timeout_gives_up_at_its_deadline_and_leaves_the_rest_working() {
    let (mux, mut wire) = Multiplexer::new();
    let late = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        mux.some_operation("slow"),
    )
    .await;
    assert!(late.is_err(), "nobody replied, so the timeout must fire");
    let (id, _) = next_request(&mux, &mut wire);
    assert_eq!(mux.poll(&format!("{id} too late")), Ok(false));

    let mut next = task::spawn(mux.some_operation("next"));
    assert_pending!(next.poll());
    let (id, _) = next_request(&mux, &mut wire);
    assert_eq!(mux.poll(&format!("{id} fine")), Ok(true));
    assert_ready_eq!(next.poll(), Ok("fine".to_string()));
}

#[test]
fn a_closed_connection_is_reported_at_once() {
    let (mux, wire) = Multiplexer::new();
    drop(wire);
    let mut call = task::spawn(mux.some_operation("x"));
    let answer = assert_ready!(
        call.poll(),
        "the connection is closed, so no reply can ever come: some_operation must \
         return Err(MuxError::Closed) instead of waiting"
    );
    assert_eq!(answer, Err(MuxError::Closed));
    assert_eq!(mux.in_flight(), 0, "nothing stays registered");
}

/// Two callers ask the same thing, a reply comes out of order, and a new
/// call starts while earlier ones still wait: each caller gets its own reply.
#[test]
fn waiting_callers_each_get_their_own_reply() {
    let (mux, wire) = Multiplexer::new();
    let mut peer = Peer::new(&mux, wire);
    let first = peer.start(mux.some_operation("rate GBP"));
    let second = peer.start(mux.some_operation("rate GBP"));
    let third = peer.start(mux.some_operation("rate USD"));
    peer.reply(second);
    let fourth = peer.start(mux.some_operation("rate USD"));
    for call in [third, first, fourth] {
        peer.reply(call);
    }
    assert_eq!(mux.in_flight(), 0, "nobody is left waiting");
}

/// More calls wait at once than a byte can number; while they wait, 4096
/// more come and go, each answered at once, and then the first ones are
/// answered, last first. An id must never come back while its call waits,
/// however many calls there have been (it may once its call is answered):
/// random ids of a byte repeat here for sure, random ids of 16 bits all but
/// surely, and so does a counter that wraps within 4096 calls.
#[test]
fn while_a_call_waits_its_id_never_comes_back() {
    let (mux, wire) = Multiplexer::new();
    let mut peer = Peer::new(&mux, wire);
    let waiting: Vec<usize> = (0..=256)
        .map(|_| peer.start(mux.some_operation("rate GBP")))
        .collect();
    for _ in 0..4096 {
        let call = peer.start(mux.some_operation("rate GBP"));
        peer.reply(call);
    }
    for call in waiting.into_iter().rev() {
        peer.reply(call);
    }
    assert_eq!(mux.in_flight(), 0, "nobody is left waiting");
}

// --- What the tests above share: a look at the lock, and the peer ---

use std::collections::HashMap;
use std::fmt::{self, Write as _};
use std::future::Future;
use std::task::Poll;

/// Fails if the pending map is locked while a call waits for its reply:
/// poll() must take that lock to deliver the reply, so the call would wait
/// forever. It only looks, and never blocks: a `Mutex`'s `Debug` *tries*
/// the lock and prints `<locked>` if it is taken.
#[track_caller]
fn no_lock_held(mux: &Multiplexer) {
    let mut seen = Prefix(String::new());
    let _ = write!(seen, "{mux:?}");
    assert!(
        !seen.0.contains("<locked>"),
        "the call waits for its reply while still holding the lock on the pending map: poll() \
         must take that lock to deliver the reply, so the reply can never be delivered (a \
         deadlock). Drop the guard before awaiting: end its block, or drop(guard), before \
         rx.await"
    );
}

/// The start of a `Debug` text, where the lock's state is: formatting stops
/// there rather than print the whole map.
struct Prefix(String);

impl fmt::Write for Prefix {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        self.0.push_str(text);
        if self.0.len() < 100 {
            Ok(())
        } else {
            Err(fmt::Error)
        }
    }
}

/// The other end of the connection. It answers each call's request with
/// `reply <n>`, n counting the calls from 0, in whatever order a test asks,
/// and holds the multiplexer to what makes that work: no two waiting calls
/// share an id, since a reply carries nothing else to say whose it is.
struct Peer<'a, F> {
    mux: &'a Multiplexer,
    wire: UnboundedReceiver<String>,
    /// Every call, in the order it started (`None` once answered), and its id.
    calls: Vec<(Option<task::Spawn<F>>, u64)>,
    /// The calls not answered yet, by id.
    waiting: HashMap<u64, usize>,
}

impl<'a, F: Future<Output = Result<String, MuxError>>> Peer<'a, F> {
    fn new(mux: &'a Multiplexer, wire: UnboundedReceiver<String>) -> Self {
        Self {
            mux,
            wire,
            calls: Vec::new(),
            waiting: HashMap::new(),
        }
    }

    /// Starts `call`: it sends its request and waits. Returns its number.
    #[track_caller]
    fn start(&mut self, call: F) -> usize {
        let n = self.calls.len();
        let mut call = task::spawn(call);
        let first = call.poll();
        // A look at the lock walks the whole map: the first calls are enough
        // to see a lock held across the wait, and cheap.
        let (id, _) = if self.waiting.len() < 16 {
            next_request(self.mux, &mut self.wire)
        } else {
            let packed = self.wire.try_recv().expect("each call sends its request");
            parse_buffer(&packed).expect("requests go out as `<id> <request>`")
        };
        self.calls.push((Some(call), id));
        if let Some(&earlier) = self.waiting.get(&id) {
            panic!("{}", self.shared_id(earlier, n, first));
        }
        assert!(
            first.is_pending(),
            "the {} call ended before any reply came: {first:?}",
            nth(n)
        );
        self.waiting.insert(id, n);
        n
    }

    /// Sends call `n` its reply: it, and only it, gets it.
    #[track_caller]
    fn reply(&mut self, n: usize) {
        let id = self.calls[n].1;
        self.waiting.remove(&id);
        assert_eq!(
            self.mux.poll(&format!("{id} reply {n}")),
            Ok(true),
            "the reply to the {} call (id {id}) found nobody waiting",
            nth(n)
        );
        let call = self.calls[n].0.as_mut().expect("a call is answered once");
        assert!(
            call.is_woken(),
            "the reply to the {} call (id {id}) did not wake it: poll() must complete the call \
             with that id",
            nth(n)
        );
        assert_ready_eq!(call.poll(), Ok(format!("reply {n}")));
        self.calls[n].0 = None;
    }

    /// What came of the `later` call taking the id of the `earlier`, which
    /// still waits (`first`: the later's first poll). The earlier's reply is
    /// sent, and what each call got says what went wrong.
    fn shared_id(
        &mut self,
        earlier: usize,
        later: usize,
        first: Poll<Result<String, MuxError>>,
    ) -> String {
        let id = self.calls[later].1;
        let (earlier_nth, later_nth) = (nth(earlier), nth(later));
        let lost = |call: usize, ended: Result<String, MuxError>, when: &str| {
            format!(
                "the {} call lost its reply (it ended with {ended:?} {when})",
                nth(call)
            )
        };
        let mut happened = Vec::new();
        if let Poll::Ready(ended) = first {
            happened.push(lost(later, ended, "as soon as it started"));
        }
        if let Some(Poll::Ready(ended)) = self.poll_if_woken(earlier) {
            let when = format!("when the {later_nth} started");
            happened.push(lost(earlier, ended, &when));
        }
        let mine = format!("reply {earlier}");
        let _ = self.mux.poll(&format!("{id} {mine}"));
        for call in [earlier, later] {
            match self.poll_if_woken(call) {
                Some(Poll::Ready(Ok(got))) if got != mine => happened.push(format!(
                    "the {} call got {got:?}, a reply meant for nobody",
                    nth(call)
                )),
                Some(Poll::Ready(Ok(_))) if call == later => happened.push(format!(
                    "the reply meant for the {earlier_nth} call went to the {later_nth}, the \
                     wrong caller"
                )),
                Some(Poll::Ready(Err(err))) => {
                    happened.push(lost(call, Err(err), "when the reply came"));
                }
                _ => {}
            }
        }
        if happened.is_empty() {
            happened.push(format!(
                "a reply to id {id} cannot say which of the two it is for"
            ));
        }
        format!(
            "{}: the {earlier_nth} and {later_nth} calls shared id {id} while both waited, and \
             a reply carries nothing but its id. Give each request an id that no waiting \
             request holds (a counter that never wraps, such as self.next_id, gives one)",
            happened.join(", and ")
        )
    }

    /// Polls call `n` if something woke it and it has not ended yet.
    fn poll_if_woken(&mut self, n: usize) -> Option<Poll<Result<String, MuxError>>> {
        let call = self.calls[n].0.as_mut().filter(|call| call.is_woken())?;
        let polled = call.poll();
        if polled.is_ready() {
            self.calls[n].0 = None;
        }
        Some(polled)
    }
}

/// `1st`, `2nd`, `3rd`, `4th`, … `11th`, … `21st`: call `n`, counted from 0.
fn nth(n: usize) -> String {
    let n = n + 1;
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}
