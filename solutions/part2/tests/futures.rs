//! The correlation-id multiplexer: each reply reaches the caller it belongs to.
//!
//! The futures are polled by hand (tokio-test's `task::spawn`), so each test
//! sees exactly what a runtime would: a call is `Pending` while it waits, it
//! is *woken* when its reply arrives, and only then `Ready`. Nothing here
//! sleeps or waits: a future that is never completed shows up at once as
//! `Pending`, in the test that says what should have completed it.

use part2_solution::futures::{Multiplexer, MuxError, parse_buffer};
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_test::task;
use tokio_test::{assert_pending, assert_ready, assert_ready_eq};

/// The next request on the wire, as `(id, data)`.
fn next_request(wire: &mut UnboundedReceiver<String>) -> (u64, String) {
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
    let (id, data) = next_request(&mut wire);
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
        ids.push(next_request(&mut wire));
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
    let (id, _) = next_request(&mut wire);

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
    let (first, _) = next_request(&mut wire);
    // Giving up is dropping the future: what a timeout or a client that
    // hangs up does to it.
    drop(impatient);

    let mut patient = task::spawn(mux.some_operation("second"));
    assert_pending!(patient.poll());
    let (second, _) = next_request(&mut wire);
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
    let (id, _) = next_request(&mut wire);
    assert_eq!(mux.poll(&format!("{id} too late")), Ok(false));

    let mut next = task::spawn(mux.some_operation("next"));
    assert_pending!(next.poll());
    let (id, _) = next_request(&mut wire);
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
