//! Routing for the synchronous server, matching the axum servers answer for
//! answer: the same router crate (matchit), the same percent-decoding.

use std::sync::LazyLock;

use part1::ConvertError;
use part1::server::{METHOD_NOT_ALLOWED, NOT_FOUND};
use percent_encoding::percent_decode_str;
use tiny_http::Method;

/// The pages this server has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    Convert { currency: String, amount: String },
    Health,
}

/// An answer: a status and one line of plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn text(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
        }
    }
}

impl From<ConvertError> for Reply {
    fn from(err: ConvertError) -> Self {
        Self::text(err.status(), err.to_string())
    }
}

#[derive(Clone, Copy)]
enum Route {
    Convert,
    Health,
}

static ROUTER: LazyLock<matchit::Router<Route>> = LazyLock::new(|| {
    let mut router = matchit::Router::new();
    // Two fixed, distinct routes: inserting them cannot conflict.
    for (path, route) in [
        ("/convert/{currency}/{amount}", Route::Convert),
        ("/health", Route::Health),
    ] {
        router
            .insert(path, route)
            .expect("the routes do not overlap");
    }
    router
});

/// Which page `method` and `url` (as sent: `/convert/GBP/100?x=1`) ask for,
/// or the reply for a request that asks for none.
pub fn route(method: &Method, url: &str) -> Result<Page, Reply> {
    let path = url.split('?').next().unwrap_or(url);
    let found = ROUTER.at(path).map_err(|_| Reply::text(404, NOT_FOUND))?;
    // HEAD is GET without the body; tiny_http leaves the body out itself.
    if !matches!(method, Method::Get | Method::Head) {
        return Err(Reply::text(405, METHOD_NOT_ALLOWED));
    }
    match found.value {
        Route::Health => Ok(Page::Health),
        Route::Convert => {
            let segment = |name| {
                let raw = found.params.get(name).unwrap_or_default();
                percent_decode_str(raw)
                    .decode_utf8()
                    .map(|decoded| decoded.into_owned())
                    .map_err(|_| Reply::from(ConvertError::from(BadSegment)))
            };
            Ok(Page::Convert {
                currency: segment("currency")?,
                amount: segment("amount")?,
            })
        }
    }
}

/// A segment that is not UTF-8 once percent-decoded, e.g. `%FF`.
struct BadSegment;

impl From<BadSegment> for ConvertError {
    fn from(_: BadSegment) -> Self {
        // The same words as the axum servers' `From<PathRejection>`.
        ConvertError::BadPath("the segments are not valid UTF-8 once decoded".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_like_axum() {
        let convert = |c: &str, a: &str| {
            Ok(Page::Convert {
                currency: c.into(),
                amount: a.into(),
            })
        };
        assert_eq!(
            route(&Method::Get, "/convert/GBP/100"),
            convert("GBP", "100")
        );
        assert_eq!(
            route(&Method::Get, "/convert/G%42P/1?x=y"),
            convert("GBP", "1")
        );
        assert_eq!(route(&Method::Head, "/health"), Ok(Page::Health));
        for missing in [
            "/",
            "/convert/GBP",
            "/convert/GBP/100/",
            "/convert/GBP/1/2",
            "/x",
        ] {
            assert_eq!(
                route(&Method::Get, missing).unwrap_err().status,
                404,
                "{missing}"
            );
        }
        assert_eq!(
            route(&Method::Post, "/convert/GBP/1").unwrap_err().status,
            405
        );
        assert_eq!(
            route(&Method::Get, "/convert/%FF/1").unwrap_err().status,
            400
        );
    }
}
