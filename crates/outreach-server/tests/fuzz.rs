//! Property-based fuzzing of the HTTP API: random methods, documented
//! paths with odd parameters, random headers (missing or odd protocol
//! headers, bad bearer tokens, odd encodings) and random, truncated or
//! garbage bodies (plain or gzip) against a real server on SQLite. No answer
//! may be a 5xx, and every error must carry the JSON `ErrorBody`.

mod support;

use flate2::Compression;
use flate2::write::GzEncoder;
use outreach_protocol::api::ErrorBody;
use outreach_protocol::{PROTOCOL_HEADER, SCHEMA_HEADER};
use outreach_server::ServerConfig;
use outreach_server::routes::openapi::OPENAPI_JSON;
use outreach_server_db::Backend;
use outreach_server_db::testing::TestDb;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use support::{new_client, people, start};
use uuid::Uuid;

/// One generated request.
#[derive(Debug, Clone)]
struct Probe {
    method: &'static str,
    path: String,
    protocol: Option<Vec<u8>>,
    schema: Option<Vec<u8>>,
    auth: Auth,
    content_type: Option<&'static str>,
    encoding: Encoding,
    body: Vec<u8>,
}

#[derive(Debug, Clone)]
enum Auth {
    None,
    Valid,
    Raw(Vec<u8>),
}

#[derive(Debug, Clone, Copy)]
enum Encoding {
    Plain,
    /// The body, gzip-compressed, with `Content-Encoding: gzip`.
    Gzip,
    /// The body as is, but labelled gzip.
    FalseGzip,
    /// A gzip stream cut short.
    TruncatedGzip,
    Other(&'static str),
}

const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// `(METHOD, path template)` of every documented operation.
fn operations() -> Vec<(&'static str, String)> {
    let doc: Value = serde_json::from_str(OPENAPI_JSON).expect("document");
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            let method = METHODS.into_iter().find(|m| m.eq_ignore_ascii_case(method)).expect("a known method");
            out.push((method, path.clone()));
        }
    }
    out
}

fn segment() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => Just(()).prop_map(|()| Uuid::now_v7().to_string()),
        1 => Just(String::new()),
        1 => Just(Uuid::nil().to_string()),
        1 => "[a-zA-Z0-9%._~-]{1,80}",
        1 => Just("%00%ff%2F..%2F".to_string()),
        1 => Just("x".repeat(5000)),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let number = prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        (0i64..10).prop_map(|n| n.to_string()),
        Just("99999999999999999999999".to_string()),
        "[a-z%&=]{0,12}",
        Just(String::new()),
    ];
    prop_oneof![
        2 => Just(String::new()),
        3 => (prop::option::of(number.clone()), prop::option::of(number))
            .prop_map(|(c, l)| {
                let mut parts = Vec::new();
                if let Some(c) = c { parts.push(format!("cursor={c}")); }
                if let Some(l) = l { parts.push(format!("limit={l}")); }
                format!("?{}", parts.join("&"))
            }),
        1 => "\\?[a-z=&%0-9]{0,30}",
    ]
}

fn version_header() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        4 => Just(Some(b"1".to_vec())),
        1 => Just(None),
        1 => Just(Some(b"0".to_vec())),
        1 => Just(Some(b"-1".to_vec())),
        1 => Just(Some(b"99999999999".to_vec())),
        1 => Just(Some(b" 2 ".to_vec())),
        1 => "[ -~]{0,20}".prop_map(|s| Some(s.into_bytes())),
        1 => prop::collection::vec(0x80u8..=0xff, 1..10).prop_map(Some),
    ]
}

fn auth() -> impl Strategy<Value = Auth> {
    prop_oneof![
        3 => Just(Auth::Valid),
        1 => Just(Auth::None),
        1 => Just(Auth::Raw(b"Bearer ".to_vec())),
        1 => Just(Auth::Raw(b"bearer deadbeef".to_vec())),
        1 => Just(Auth::Raw(b"Basic YW15OnBhc3N3b3Jk".to_vec())),
        1 => "[ -~]{0,100}".prop_map(|s| Auth::Raw(format!("Bearer {s}").into_bytes())),
        1 => prop::collection::vec(0x80u8..=0xff, 1..40)
            .prop_map(|b| Auth::Raw([b"Bearer ".as_slice(), &b].concat())),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        ".{0,20}".prop_map(Value::String),
        Just(json!(Uuid::now_v7())),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("mutations".to_string()),
                    Just("value".to_string()),
                    Just("user".to_string()),
                    Just("changes".to_string()),
                    "[a-z_]{1,10}"
                ],
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Bodies near what the endpoints expect, and far from it.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let device = Uuid::now_v7();
    let push = (0usize..4, prop::sample::select(vec!["Liverpool", "Wirral", ""]), json_value()).prop_map(
        move |(n, area, extra)| {
            let mut mutations: Vec<Value> = (0..n)
                .map(|_| serde_json::to_value(new_client(device, Uuid::now_v7(), area)).expect("mutation"))
                .collect();
            if let Some(first) = mutations.first_mut() {
                first["changes"]["notes"] = extra;
            }
            serde_json::to_vec(&json!({"mutations": mutations})).expect("json")
        },
    );
    let login = (".{0,30}", ".{0,30}", ".{0,30}").prop_map(|(user, password, name)| {
        serde_json::to_vec(
            &json!({"user": user, "password": password, "device_id": Uuid::now_v7(), "device_name": name}),
        )
        .expect("json")
    });
    let resolve = json_value().prop_map(|v| serde_json::to_vec(&json!({"value": v})).expect("json"));
    let wellformed = prop_oneof![push, login, resolve, json_value().prop_map(|v| v.to_string().into_bytes())];
    prop_oneof![
        4 => wellformed.clone(),
        2 => (wellformed, any::<prop::sample::Index>()).prop_map(|(b, cut)| {
            let at = cut.index(b.len() + 1);
            b[..at].to_vec()
        }),
        1 => prop::collection::vec(any::<u8>(), 0..200),
        1 => Just(Vec::new()),
        // Over the limit, as sent or only once decompressed.
        1 => Just(vec![b' '; 80 * 1024]),
    ]
}

fn encoding() -> impl Strategy<Value = Encoding> {
    prop_oneof![
        6 => Just(Encoding::Plain),
        2 => Just(Encoding::Gzip),
        1 => Just(Encoding::FalseGzip),
        1 => Just(Encoding::TruncatedGzip),
        1 => prop::sample::select(vec!["br", "deflate", "identity", "gzip, gzip", "x-unknown"]).prop_map(Encoding::Other),
    ]
}

fn probe() -> impl Strategy<Value = Probe> {
    let operations = operations();
    let templates: Vec<String> = operations.iter().map(|(_, p)| p.clone()).collect();
    // Mostly the documented method, sometimes any.
    let operation = prop_oneof![
        6 => prop::sample::select(operations),
        1 => (prop::sample::select(METHODS.to_vec()), prop::sample::select(templates)),
    ];
    let content_type = prop_oneof![
        4 => Just(Some("application/json")),
        1 => Just(None),
        1 => Just(Some("text/plain")),
        1 => Just(Some("application/json; charset=latin1")),
    ];
    ((operation, segment(), query()), (version_header(), version_header(), auth()), (content_type, encoding(), body()))
        .prop_map(|(((method, template), segment, query), (protocol, schema, auth), (content_type, encoding, body))| {
            Probe {
                method,
                path: format!("{}{query}", template.replace("{id}", &segment)),
                protocol,
                schema,
                auth,
                content_type,
                encoding,
                body,
            }
        })
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::fast());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// What one probe got: a status, or (only for a request with a body the
/// server answered without reading) a connection the server closed early.
enum Answer {
    Status(u16),
    ClosedEarly,
}

async fn send(
    server: &support::Server,
    http: &reqwest::Client,
    token: &str,
    p: &Probe,
) -> Result<Answer, TestCaseError> {
    let url = format!("{}{}", server.base, p.path);
    let mut request = http.request(Method::from_bytes(p.method.as_bytes()).expect("method"), url);
    if let Some(v) = &p.protocol {
        request = request.header(PROTOCOL_HEADER, v.as_slice());
    }
    if let Some(v) = &p.schema {
        request = request.header(SCHEMA_HEADER, v.as_slice());
    }
    match &p.auth {
        Auth::None => {}
        Auth::Valid => request = request.bearer_auth(token),
        Auth::Raw(v) => request = request.header("authorization", v.as_slice()),
    }
    if let Some(ct) = p.content_type {
        request = request.header("content-type", ct);
    }
    let body = match p.encoding {
        Encoding::Plain | Encoding::FalseGzip | Encoding::Other(_) => p.body.clone(),
        Encoding::Gzip => gzip(&p.body),
        Encoding::TruncatedGzip => {
            let full = gzip(&p.body);
            full[..full.len() / 2].to_vec()
        }
    };
    match p.encoding {
        Encoding::Plain => {}
        Encoding::Gzip | Encoding::FalseGzip | Encoding::TruncatedGzip => {
            request = request.header("content-encoding", "gzip");
        }
        Encoding::Other(e) => request = request.header("content-encoding", e),
    }
    let sent_body = !body.is_empty();
    let response = match request.body(body).send().await {
        Ok(response) => response,
        // A server may answer (401, 404, 405...) without reading the body
        // and close the connection while the client is still writing it.
        Err(e) if sent_body && (e.is_request() || e.is_connect()) => {
            let health = http.get(format!("{}/health", server.base)).send().await;
            prop_assert!(health.is_ok_and(|r| r.status().is_success()), "the server stopped answering after {p:?}");
            return Ok(Answer::ClosedEarly);
        }
        Err(e) => return Err(TestCaseError::fail(format!("no answer: {e:?}"))),
    };
    let status = response.status();
    let text = response.text().await.map_err(|e| TestCaseError::fail(format!("body not read: {e:?}")))?;
    prop_assert!(!status.is_server_error(), "{status} for {p:?}: {text}");
    if status.is_client_error() && p.method != "HEAD" {
        let parsed = serde_json::from_str::<ErrorBody>(&text);
        prop_assert!(parsed.is_ok(), "{status} without an ErrorBody for {p:?}: {text}");
    }
    Ok(Answer::Status(status.as_u16()))
}

/// Panics anywhere in this process (the server runs in it), caught or not.
static PANICS: AtomicUsize = AtomicUsize::new(0);

#[test]
fn random_requests_never_get_a_5xx_or_a_bare_error() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let (t, server, token) = runtime.block_on(async {
        let t = TestDb::new(Backend::Sqlite).await.expect("test database");
        // A small limit so that some gzip bodies cross it after decompression.
        let server = start(&t, ServerConfig { max_body_bytes: 64 * 1024, ..ServerConfig::default() }).await;
        people(&*server.db).await;
        let amy = server.login("amy").await;
        (t, server, amy.token)
    });
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    // A new connection per request, so no probe meets a connection an
    // earlier probe left half-closed.
    let http = reqwest::Client::builder().no_proxy().pool_max_idle_per_host(0).build().expect("client");
    let cases = std::env::var("OUTREACH_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let seen = Mutex::new(BTreeMap::<u16, usize>::new());
    let outcome = runner.run(&probe(), |p| {
        let status = match runtime.block_on(send(&server, &http, &token, &p))? {
            Answer::Status(status) => status,
            Answer::ClosedEarly => 0,
        };
        *seen.lock().expect("lock").entry(status).or_default() += 1;
        Ok(())
    });
    runtime.block_on(async {
        server.stop().await;
        t.cleanup().await.expect("cleanup");
    });
    let panics = PANICS.load(Ordering::SeqCst);
    if let Err(e) = outcome {
        panic!("{e}");
    }
    assert_eq!(panics, 0, "the server panicked (see the messages above)");
    let seen = seen.into_inner().expect("lock");
    eprintln!("statuses seen (0: closed before the body was sent): {seen:?}");
    for expected in [400, 401, 404, 405, 413] {
        assert!(seen.contains_key(&expected), "the fuzzer never reached a {expected}: {seen:?}");
    }
}
