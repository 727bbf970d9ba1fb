//! The correlation-id multiplexer: each reply reaches the caller it belongs to.

use std::sync::Arc;
use std::time::Duration;

use part2::futures::{Multiplexer, MuxError, parse_buffer};
use tokio::time::timeout;

/// Plays the remote peer: collects `n` requests, then answers them in reverse
/// order, each with `reply(<request>)`.
async fn answer_in_reverse(
    mux: Arc<Multiplexer>,
    mut wire: tokio::sync::mpsc::UnboundedReceiver<String>,
    n: usize,
) {
    let mut requests = Vec::new();
    while requests.len() < n {
        requests.push(wire.recv().await.expect("a request"));
    }
    for request in requests.into_iter().rev() {
        let (id, data) = parse_buffer(&request).expect("a packed request");
        assert!(
            mux.poll(&format!("{id} reply({data})"))
                .expect("a well-formed reply")
        );
    }
}

#[tokio::test]
async fn replies_out_of_order_reach_the_right_callers() {
    let (mux, wire) = Multiplexer::new();
    let mux = Arc::new(mux);
    let peer = tokio::spawn(answer_in_reverse(Arc::clone(&mux), wire, 3));
    let (a, b, c) = tokio::join!(
        mux.some_operation("a"),
        mux.some_operation("b"),
        mux.some_operation("c"),
    );
    assert_eq!(a.unwrap(), "reply(a)");
    assert_eq!(b.unwrap(), "reply(b)");
    assert_eq!(c.unwrap(), "reply(c)");
    peer.await.unwrap();
    assert_eq!(mux.in_flight(), 0, "nobody is left waiting");
}

#[tokio::test]
async fn an_unknown_id_is_ignored() {
    let (mux, mut wire) = Multiplexer::new();
    let mux = Arc::new(mux);
    let caller = tokio::spawn({
        let mux = Arc::clone(&mux);
        async move { mux.some_operation("x").await }
    });
    let request = wire.recv().await.unwrap();
    let (id, _) = parse_buffer(&request).unwrap();
    assert_eq!(mux.poll(&format!("{} stray", id + 1000)), Ok(false));
    assert_eq!(mux.in_flight(), 1, "the real caller still waits");
    assert_eq!(mux.poll(&format!("{id} mine")), Ok(true));
    assert_eq!(caller.await.unwrap().unwrap(), "mine");
}

#[tokio::test]
async fn a_malformed_reply_is_an_error_not_a_panic() {
    let (mux, _wire) = Multiplexer::new();
    assert!(matches!(
        mux.poll("no-id-here"),
        Err(MuxError::Malformed(_))
    ));
    assert!(matches!(mux.poll("abc def"), Err(MuxError::Malformed(_))));
}

#[tokio::test]
async fn a_caller_that_gave_up_breaks_nobody_else() {
    let (mux, mut wire) = Multiplexer::new();
    let mux = Arc::new(mux);
    // The first caller gives up after 10 ms.
    let impatient = timeout(Duration::from_millis(10), mux.some_operation("first")).await;
    assert!(impatient.is_err(), "nobody answered the first caller");
    let patient = tokio::spawn({
        let mux = Arc::clone(&mux);
        async move { mux.some_operation("second").await }
    });
    let first = wire.recv().await.unwrap();
    let second = wire.recv().await.unwrap();
    let (first_id, _) = parse_buffer(&first).unwrap();
    let (second_id, _) = parse_buffer(&second).unwrap();
    // The late reply finds nobody, and says so without failing.
    assert_eq!(mux.poll(&format!("{first_id} too late")), Ok(false));
    assert_eq!(mux.poll(&format!("{second_id} on time")), Ok(true));
    assert_eq!(patient.await.unwrap().unwrap(), "on time");
    assert_eq!(mux.in_flight(), 0);
}

#[tokio::test]
async fn a_closed_connection_is_reported() {
    let (mux, wire) = Multiplexer::new();
    drop(wire);
    assert_eq!(mux.some_operation("x").await, Err(MuxError::Closed));
    assert_eq!(mux.in_flight(), 0, "nothing stays registered");
}
