//! `outreach-server serve`.

use super::cli::ServeArgs;
use anyhow::{Context, Result, bail};
use outreach_server::{AppState, ServerConfig};
use tokio::net::TcpListener;

/// Opens the database, migrates it and serves until Ctrl-C or SIGTERM:
/// HTTPS with `--tls-cert`/`--tls-key`, plain HTTP otherwise (on a
/// non-loopback address only with `--allow-plain-http`).
pub async fn serve(
    args: ServeArgs,
    database: Option<String>,
    report_definitions: outreach_reports::Definitions,
) -> Result<()> {
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(outreach_server::tls::server_config(cert, key)?),
        (None, None) => None,
        _ => bail!("give both --tls-cert and --tls-key, or neither"),
    };
    if tls.is_none() && !args.listen.ip().is_loopback() && !args.allow_plain_http {
        bail!(
            "refusing to serve plain HTTP on {}: passwords and tokens would cross the network unencrypted. \
             Give --tls-cert FILE --tls-key FILE to serve HTTPS, listen on 127.0.0.1 behind a TLS-terminating \
             proxy, or pass --allow-plain-http if a proxy on this network already encrypts the traffic",
            args.listen
        );
    }
    let db = super::open(database).await?;
    let listener =
        TcpListener::bind(args.listen).await.with_context(|| format!("could not listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(%addr, scheme, backend = ?db.backend(), "outreach-server listening");
    let config = ServerConfig {
        max_body_bytes: args.max_body_bytes,
        concurrent_syncs: args.concurrent_syncs,
        max_clock_ahead: args.max_clock_ahead,
        device_idle_expiry: args.device_idle_expiry,
        report_definitions,
        ..ServerConfig::default()
    };
    let state = AppState::new(db, config);
    match tls {
        Some(tls) => outreach_server::serve_tls(listener, tls, state, shutdown_signal()).await?,
        None => outreach_server::serve(listener, state, shutdown_signal()).await?,
    }
    tracing::info!("outreach-server stopped");
    Ok(())
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
