//! The board over HTTP (axum). Learners post with the join token; the
//! instructor reads with the view token, which the join token is not. Every
//! refusal is one plain line, and stores nothing.
//!
//! | route | token | what |
//! | --- | --- | --- |
//! | `POST /api/join`, `POST /api/check` | join (`Authorization: Bearer`) | a learner arrives, a check's outcome |
//! | `GET /` | view (`?view=`) | the page |
//! | `GET /events` | view | the board as server-sent events, on every change |
//! | `GET /state.json`, `/export.json`, `/export.csv` | view | the board for machines, and to keep |
//! | `GET /workshop.tar.gz` | join or view (`?token=`) | the offline archive (`--offline`, see `download`) |

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::{Semaphore, watch};

use super::board::{Board, Learner, Refused, unix_now};
use super::download::{Counts, Downloads};
use super::page;
use super::wire::{CheckReport, Join, MAX_BODY};

/// Posts read at once, at most: with `MAX_BODY` each, a flood holds a few
/// MiB, never more.
const READING_AT_ONCE: usize = 256;
/// A body must arrive within this long: a client that trickles it holds
/// no permit for ever.
const BODY_TIME: Duration = Duration::from_secs(5);
/// The live page gets at most one board per this long: a burst of checks
/// is one update, and a check still shows well within a second.
const LIVE_GAP: Duration = Duration::from_millis(200);

/// What the handlers share.
pub struct Room {
    board: Mutex<Board>,
    join_token: String,
    view_token: String,
    /// Bumped on every change: the live page and the saver wait on it.
    version: watch::Sender<u64>,
    reading: Semaphore,
    /// The offline archive, with `--offline`.
    downloads: Option<Downloads>,
}

/// The board as the page and `/state.json` have it: the board's view, and
/// the archive's downloads when there is an archive.
#[derive(Serialize)]
struct Live<V> {
    #[serde(flatten)]
    view: V,
    #[serde(skip_serializing_if = "Option::is_none")]
    downloads: Option<Counts>,
}

impl Room {
    pub fn new(
        board: Board,
        join_token: String,
        view_token: String,
        downloads: Option<Downloads>,
    ) -> Arc<Self> {
        Arc::new(Self {
            board: Mutex::new(board),
            join_token,
            view_token,
            version: watch::Sender::new(0),
            reading: Semaphore::new(READING_AT_ONCE),
            downloads,
        })
    }

    /// The learners, to save.
    pub fn learners(&self) -> Vec<Learner> {
        self.board().learners().to_vec()
    }

    /// Changes of the board, to wait on.
    pub fn changes(&self) -> watch::Receiver<u64> {
        self.version.subscribe()
    }

    fn board(&self) -> MutexGuard<'_, Board> {
        // A panic while holding the lock leaves a board that is still whole:
        // every change is made after every check.
        self.board.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn view_json(&self) -> String {
        let live = Live {
            view: self.board().view(unix_now()),
            downloads: self.downloads.as_ref().map(Downloads::counts),
        };
        serde_json::to_string(&live).unwrap_or_else(|_| "{}".into())
    }

    /// The archive is for learners (the join token) and the instructor.
    fn downloader(&self, query: &TokenQuery) -> Result<(), Denied> {
        let allowed = query.token.as_deref().is_some_and(|token| {
            // Both compared, whichever matches: the time says nothing.
            same(token, &self.join_token) | same(token, &self.view_token)
        });
        allowed.then_some(()).ok_or(Denied(
            "wrong or missing token: copy the offline: line from the slide",
        ))
    }

    fn viewer(&self, query: &ViewQuery) -> Result<(), Denied> {
        match &query.view {
            Some(token) if same(token, &self.view_token) => Ok(()),
            _ => Err(Denied(
                "wrong or missing view token: open the view: link that `room serve` printed",
            )),
        }
    }

    fn learner(&self, headers: &HeaderMap) -> Result<(), Denied> {
        let token = headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer "));
        match token {
            Some(token) if same(token, &self.join_token) => Ok(()),
            _ => Err(Denied(
                "wrong or missing join token: copy it from the join: line on the slide",
            )),
        }
    }

    /// Applies a change to the board; the answer says how it went.
    fn apply(
        &self,
        change: impl FnOnce(&mut Board, u64, Instant) -> Result<(), Refused>,
    ) -> Response {
        let result = change(&mut self.board(), unix_now(), Instant::now());
        match result {
            Ok(()) => {
                self.version.send_modify(|version| *version += 1);
                line(StatusCode::OK, "recorded")
            }
            Err(Refused::Invalid(why)) => line(StatusCode::UNPROCESSABLE_ENTITY, &why),
            Err(Refused::NameTaken(why)) => line(StatusCode::CONFLICT, &why),
            Err(Refused::Full) => line(
                StatusCode::FORBIDDEN,
                &format!("the room is full: {} learners", super::board::MAX_LEARNERS),
            ),
            Err(Refused::TooFast(wait)) => {
                let mut response = line(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too many reports too fast: one per check",
                );
                let secs = wait.as_secs_f64().ceil().max(1.0) as u64;
                if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                    response.headers_mut().insert(header::RETRY_AFTER, value);
                }
                response
            }
        }
    }
}

/// A 401, and why.
struct Denied(&'static str);

impl IntoResponse for Denied {
    fn into_response(self) -> Response {
        line(StatusCode::UNAUTHORIZED, self.0)
    }
}

/// Tokens compared in constant time: how long a refusal takes says nothing
/// about how much of a guess was right.
fn same(given: &str, token: &str) -> bool {
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// One plain line.
fn line(status: StatusCode, text: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("{text}\n"),
    )
        .into_response()
}

#[derive(Debug, Deserialize)]
struct ViewQuery {
    view: Option<String>,
}

#[derive(Debug, Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

pub fn router(room: Arc<Room>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/events", get(events))
        .route("/state.json", get(state))
        .route("/export.json", get(export_json))
        .route("/export.csv", get(export_csv))
        .route("/api/join", post(join))
        .route("/api/check", post(check))
        .route("/workshop.tar.gz", get(archive))
        .fallback(|| async { line(StatusCode::NOT_FOUND, "no such page") })
        .method_not_allowed_fallback(|| async {
            line(StatusCode::METHOD_NOT_ALLOWED, "not with this method")
        })
        .with_state(room)
}

async fn page(State(room): State<Arc<Room>>, Query(query): Query<ViewQuery>) -> Response {
    match room.viewer(&query) {
        Ok(()) => page::response(),
        Err(denied) => denied.into_response(),
    }
}

async fn state(State(room): State<Arc<Room>>, Query(query): Query<ViewQuery>) -> Response {
    board_as(&room, &query, "application/json", None, Room::view_json)
}

async fn export_json(State(room): State<Arc<Room>>, Query(query): Query<ViewQuery>) -> Response {
    board_as(
        &room,
        &query,
        "application/json",
        Some("json"),
        Room::view_json,
    )
}

async fn export_csv(State(room): State<Arc<Room>>, Query(query): Query<ViewQuery>) -> Response {
    board_as(
        &room,
        &query,
        "text/csv; charset=utf-8",
        Some("csv"),
        |room| room.board().csv(unix_now()),
    )
}

/// The board in some form, as a download when `extension` is given.
fn board_as(
    room: &Room,
    query: &ViewQuery,
    content_type: &'static str,
    extension: Option<&str>,
    body: impl FnOnce(&Room) -> String,
) -> Response {
    if let Err(denied) = room.viewer(query) {
        return denied.into_response();
    }
    let mut response = ([(header::CONTENT_TYPE, content_type)], body(room)).into_response();
    let headers = response.headers_mut();
    for (name, value) in page::private() {
        headers.insert(name, value);
    }
    if let Some(extension) = extension {
        let stamp = humantime::format_rfc3339_seconds(std::time::SystemTime::now())
            .to_string()
            .replace(':', "-");
        let disposition = format!("attachment; filename=\"room-{stamp}.{extension}\"");
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            headers.insert(header::CONTENT_DISPOSITION, value);
        }
    }
    response
}

/// The board now, then again after every change (at most one per
/// `LIVE_GAP`), until the page goes away or the board stops.
async fn events(State(room): State<Arc<Room>>, Query(query): Query<ViewQuery>) -> Response {
    if let Err(denied) = room.viewer(&query) {
        return denied.into_response();
    }
    let changes = room.changes();
    let downloads = room.downloads.as_ref().map(Downloads::changes);
    let stream = futures_util::stream::unfold(
        (room, changes, downloads, true),
        |(room, mut changes, mut downloads, first)| async move {
            if !first {
                tokio::time::sleep(LIVE_GAP).await;
                match &mut downloads {
                    Some(downloads) => tokio::select! {
                        changed = changes.changed() => changed.ok()?,
                        changed = downloads.changed() => changed.ok()?,
                    },
                    None => changes.changed().await.ok()?,
                }
            }
            changes.borrow_and_update();
            if let Some(downloads) = &mut downloads {
                downloads.borrow_and_update();
            }
            let event = Event::default().event("board").data(room.view_json());
            Some((
                Ok::<_, Infallible>(event),
                (room, changes, downloads, false),
            ))
        },
    );
    let mut response = Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response();
    for (name, value) in page::private() {
        response.headers_mut().insert(name, value);
    }
    response
}

/// The offline archive: a learner's token or the instructor's, then the
/// archive (or its headers, for HEAD).
async fn archive(
    State(room): State<Arc<Room>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    Query(query): Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(denied) = room.downloader(&query) {
        return denied.into_response();
    }
    let Some(downloads) = &room.downloads else {
        return line(
            StatusCode::NOT_FOUND,
            "this board serves no archive: the instructor starts it with `room serve --offline`",
        );
    };
    match downloads
        .respond(peer.ip(), method == Method::HEAD, &headers)
        .await
    {
        Ok(response) => response,
        Err((status, why)) => line(status, &why),
    }
}

async fn join(State(room): State<Arc<Room>>, headers: HeaderMap, body: Body) -> Response {
    match receive::<Join>(&room, &headers, body).await {
        Ok(join) => room.apply(|board, now, clock| board.join(&join, now, clock)),
        Err(refused) => refused,
    }
}

async fn check(State(room): State<Arc<Room>>, headers: HeaderMap, body: Body) -> Response {
    match receive::<CheckReport>(&room, &headers, body).await {
        Ok(report) => room.apply(|board, now, clock| board.record(report, now, clock)),
        Err(refused) => refused,
    }
}

/// A learner's post: the token first, then at most `MAX_BODY` bytes of JSON
/// with no field the wire format does not have.
async fn receive<T: DeserializeOwned>(
    room: &Room,
    headers: &HeaderMap,
    body: Body,
) -> Result<T, Response> {
    room.learner(headers).map_err(IntoResponse::into_response)?;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY as u64) {
        return Err(too_large());
    }
    let Ok(_permit) = room.reading.try_acquire() else {
        return Err(line(
            StatusCode::SERVICE_UNAVAILABLE,
            "the room is busy: try again",
        ));
    };
    let mut chunks = body.into_data_stream();
    let read = async move {
        let mut bytes = Vec::new();
        while let Some(chunk) = chunks.next().await {
            let chunk = chunk.map_err(|_| line(StatusCode::BAD_REQUEST, "the body broke off"))?;
            if bytes.len() + chunk.len() > MAX_BODY {
                return Err(too_large());
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    };
    let bytes = tokio::time::timeout(BODY_TIME, read)
        .await
        .map_err(|_| line(StatusCode::REQUEST_TIMEOUT, "the body took too long"))??;
    serde_json::from_slice(&bytes)
        .map_err(|err| line(StatusCode::BAD_REQUEST, &format!("malformed JSON: {err}")))
}

fn too_large() -> Response {
    line(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("the body is over {} KiB", MAX_BODY / 1024),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abcd", "abcd"));
        assert!(!same("abce", "abcd"));
        assert!(!same("abc", "abcd"));
        assert!(!same("", "abcd"));
    }
}
