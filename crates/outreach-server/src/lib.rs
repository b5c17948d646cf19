//! The Outreach sync server: laptops sign in at base, push the changes in
//! their outbox and pull what changed on the server, over a small JSON API.
//!
//! - [`router`] builds the axum application: [`routes`] holds one module
//!   per resource, each handler a thin call into the storage trait
//!   [`outreach_server_db::Database`] (SQLite or PostgreSQL);
//! - [`auth`] turns a bearer token into the calling user and device;
//! - [`layers`] checks the protocol headers and gives every error, even
//!   one raised before a handler runs, the JSON [`ErrorBody`] shape;
//! - [`extract`] makes malformed bodies, queries and paths readable 400s;
//! - [`tls`] terminates TLS with rustls ([`serve_tls`]);
//! - [`throttle`] slows password guessing (429 `too_many_attempts`).
//!
//! The binary (`src/main.rs`, `src/cmd/`) adds the command line: `serve`,
//! `migrate`, the team, user and device administration commands, and the
//! data protection commands (`client export`, `client erase`).
//!
//! [`ErrorBody`]: outreach_protocol::api::ErrorBody

pub mod auth;
pub mod error;
pub mod extract;
pub mod layers;
pub mod routes;
pub mod throttle;
pub mod tls;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::routing::{get, post};
use outreach_server_db::Database;
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceBuilder;
use tower_http::CompressionLevel;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use tracing::Level;

/// Sync requests served at once by default: enough to keep two cores and
/// a database busy, few enough that 200 devices syncing together do not
/// each hold a page in memory at the same time.
pub const DEFAULT_CONCURRENT_SYNCS: usize = 16;

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Largest request body, in bytes, both as sent and after gzip
    /// decompression (so a small compressed body cannot expand without bound).
    pub max_body_bytes: usize,
    /// How often a device's `last_seen` is written at most.
    pub touch_interval: chrono::TimeDelta,
    /// Password checks run at once (each Argon2 check takes ~19 MiB).
    pub concurrent_logins: usize,
    /// Requests whose body is read before the caller is known (sign-ins,
    /// refused tokens), at once; past it, 503 `busy`.
    pub concurrent_unauthenticated: usize,
    /// Sync requests (push, pull, digest) served at once; the rest wait
    /// their turn. Each holds a page or a batch in memory while served, so
    /// this bounds the server's memory when many devices sync together.
    pub concurrent_syncs: usize,
    /// How far ahead of the server's clock a pushed change's clock stamp may
    /// be; a push with a stamp further ahead is refused (`clock_ahead`).
    pub max_clock_ahead: chrono::TimeDelta,
    /// Failed sign-ins allowed per user name and per address (see [`throttle`]).
    pub login_throttle: throttle::ThrottleConfig,
    /// A device token unused for this long is refused (sign in again): a
    /// laptop left in a drawer does not keep a working token for ever.
    pub device_idle_expiry: chrono::TimeDelta,
    /// The rules the reports count by (long term, returners, lookbacks,
    /// suppression), from `--report-definitions` or the defaults.
    pub report_definitions: outreach_reports::Definitions,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 16 * 1024 * 1024,
            touch_interval: chrono::TimeDelta::minutes(1),
            concurrent_logins: 4,
            concurrent_unauthenticated: 32,
            concurrent_syncs: DEFAULT_CONCURRENT_SYNCS,
            max_clock_ahead: chrono::TimeDelta::milliseconds(outreach_protocol::DEFAULT_MAX_CLOCK_AHEAD_MS),
            login_throttle: throttle::ThrottleConfig::default(),
            device_idle_expiry: chrono::TimeDelta::days(30),
            report_definitions: outreach_reports::Definitions::default(),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// Storage.
    pub db: Arc<dyn Database>,
    /// Settings.
    pub config: Arc<ServerConfig>,
    /// Limits concurrent password checks.
    pub login_permits: Arc<Semaphore>,
    /// Limits sync requests served at once (see [`ServerConfig::concurrent_syncs`]).
    pub sync_permits: Arc<Semaphore>,
    /// Counts failed sign-ins.
    pub login_throttle: Arc<throttle::LoginThrottle>,
    /// Limits the requests whose body is read before anyone is known:
    /// sign-ins, and refused tokens' bodies read to be thrown away (see
    /// [`layers::read_whole_body`]).
    pub unauthenticated: Arc<Semaphore>,
}

impl AppState {
    /// State over `db` with `config`.
    pub fn new(db: Arc<dyn Database>, config: ServerConfig) -> Self {
        let permits = Arc::new(Semaphore::new(config.concurrent_logins.max(1)));
        let syncs = Arc::new(Semaphore::new(config.concurrent_syncs.max(1)));
        let throttle = Arc::new(throttle::LoginThrottle::new(config.login_throttle));
        let unauthenticated = Arc::new(Semaphore::new(config.concurrent_unauthenticated.max(1)));
        Self {
            db,
            config: Arc::new(config),
            login_permits: permits,
            sync_permits: syncs,
            login_throttle: throttle,
            unauthenticated,
        }
    }
}

/// The whole HTTP application.
pub fn router(state: AppState) -> Router {
    let limit = state.config.max_body_bytes;
    let api = Router::new()
        .route("/login", post(routes::login::login))
        .route("/sync/push", post(routes::sync::push))
        .route("/sync/pull", get(routes::sync::pull))
        .route("/sync/digest", get(routes::sync::digest))
        .route("/records/{id}", get(routes::records::get_record))
        .route("/conflicts/{id}/resolve", post(routes::conflicts::resolve))
        .route("/reports/snapshot", get(routes::reports::snapshot))
        .route("/reports/nights", get(routes::reports::nights))
        .route("/reports/framework", get(routes::reports::framework))
        .route("/reports/trend", get(routes::reports::trend))
        .route("/reports/monitoring", get(routes::reports::monitoring))
        .route("/reports/team", get(routes::reports::team))
        .route_layer(middleware::from_fn(layers::require_protocol));
    Router::new()
        .route("/health", get(routes::health::health))
        .route("/openapi.json", get(routes::openapi::openapi))
        .nest("/api/v1", api)
        .fallback(layers::not_found)
        .method_not_allowed_fallback(layers::method_not_allowed)
        .layer(
            ServiceBuilder::new()
                .layer(
                    TraceLayer::new_for_http()
                        .make_span_with(DefaultMakeSpan::new().level(Level::INFO))
                        .on_response(DefaultOnResponse::new().level(Level::INFO)),
                )
                .layer(CatchPanicLayer::custom(layers::panic_response))
                // Fastest gzip: a pull page compresses about as small, for a
                // fraction of the CPU of the default level (see BENCHMARKS.md).
                .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
                .layer(middleware::from_fn_with_state(limit, layers::json_errors))
                .layer(middleware::from_fn_with_state(limit, layers::note_body_limit))
                // The raw body first, read whole, then the same limit after
                // gzip decompression.
                .layer(middleware::from_fn_with_state(state.clone(), layers::read_whole_body))
                .layer(RequestDecompressionLayer::new())
                .layer(DefaultBodyLimit::max(limit)),
        )
        .with_state(state)
}

/// Serves the application on `listener` until `shutdown` completes, then
/// finishes the requests in flight.
pub async fn serve<F>(listener: TcpListener, state: AppState, shutdown: F) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let app = router(state).into_make_service_with_connect_info::<throttle::ClientAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}

/// Serves the application over TLS on `listener` (see [`tls`]) until
/// `shutdown` completes, then finishes the requests in flight.
pub async fn serve_tls<F>(
    listener: TcpListener,
    tls: Arc<tokio_rustls::rustls::ServerConfig>,
    state: AppState,
    shutdown: F,
) -> std::io::Result<()>
where
    F: Future<Output = ()> + Send + 'static,
{
    let listener = tls::TlsListener::new(listener, tls)?;
    let app = router(state).into_make_service_with_connect_info::<throttle::ClientAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await
}
