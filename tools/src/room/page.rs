//! The board's one page: static HTML, CSS and JavaScript put together, no
//! request but to the board itself. A fresh nonce per response lets only
//! its own script and style run (Content-Security-Policy): a name that
//! slipped through as markup still could not run anything.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::wire::random_hex;

const HTML: &str = include_str!("page.html");
const CSS: &str = include_str!("page.css");
const JS: &str = include_str!("page.js");

/// The page, with its security headers.
pub fn response() -> Response {
    let nonce = random_hex(16);
    // The nonce first: the script and style never pass through a replace.
    let html = HTML
        .replace("{{nonce}}", &nonce)
        .replacen("{{css}}", CSS, 1)
        .replacen("{{js}}", JS, 1);
    let policy = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    let mut response = html.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    if let Ok(policy) = HeaderValue::from_str(&policy) {
        headers.insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    for (name, value) in private() {
        headers.insert(name, value);
    }
    response
}

/// For everything that shows the board: the view token is in the URL, so
/// no page may pass it on as a referrer, and no cache may keep it.
pub fn private() -> [(header::HeaderName, HeaderValue); 3] {
    [
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_self_contained_and_writes_no_markup_from_data() {
        let page = HTML
            .replace("{{nonce}}", "n")
            .replacen("{{css}}", CSS, 1)
            .replacen("{{js}}", JS, 1);
        assert!(!page.contains("{{"), "every placeholder is filled");
        for external in ["http://", "https://", "//fonts", "@import", "src=\""] {
            assert!(!page.contains(external), "the page refers to {external}");
        }
        for markup in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
        ] {
            assert!(!JS.contains(markup), "page.js uses {markup}");
        }
    }
}
