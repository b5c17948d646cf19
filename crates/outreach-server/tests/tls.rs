//! HTTPS with rustls: a self-signed certificate made by rcgen, served by
//! the library and by `outreach-server serve --tls-cert --tls-key`, spoken
//! to by a reqwest client that trusts only that certificate.

use outreach_server::{AppState, ServerConfig};
use outreach_server_db::Backend;
use outreach_server_db::testing::{TestDb, run};
use reqwest::StatusCode;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use uuid::Uuid;

const BIN: &str = env!("CARGO_BIN_EXE_outreach-server");

/// A folder holding `cert.pem` and `key.pem` for localhost and 127.0.0.1;
/// answers the folder and the certificate's PEM.
fn self_signed() -> (PathBuf, String) {
    let dir = std::env::temp_dir().join(format!("outreach-server-tls-{}", Uuid::now_v7().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("self-signed certificate");
    let pem = made.cert.pem();
    std::fs::write(dir.join("cert.pem"), &pem).expect("write cert");
    std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).expect("write key");
    (dir, pem)
}

fn trusting(pem: &str) -> reqwest::Client {
    let cert = reqwest::Certificate::from_pem(pem.as_bytes()).expect("certificate");
    reqwest::Client::builder().no_proxy().tls_certs_only([cert]).build().expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_a_self_signed_certificate() {
    run(Backend::Sqlite, https_served_by_the_library).await;
}

async fn https_served_by_the_library(t: TestDb) {
    let (dir, pem) = self_signed();
    let tls = outreach_server::tls::server_config(&dir.join("cert.pem"), &dir.join("key.pem")).expect("tls config");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("address").port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(outreach_server::serve_tls(
        listener,
        tls,
        AppState::new(t.db(), ServerConfig::default()),
        async move {
            let _ = stopped.await;
        },
    ));

    let client = trusting(&pem);
    for host in ["localhost", "127.0.0.1"] {
        let response = client.get(format!("https://{host}:{port}/health")).send().await.expect("https health");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.text().await.expect("body"), r#"{"status":"ok"}"#);
    }
    let response = client
        .get(format!("https://localhost:{port}/api/v1/sync/pull"))
        .header(outreach_protocol::PROTOCOL_HEADER, "1")
        .header(outreach_protocol::SCHEMA_HEADER, "1")
        .send()
        .await
        .expect("https pull");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "the API is behind TLS too");

    // A client that does not trust the certificate cannot connect.
    let stranger = reqwest::Client::builder().no_proxy().build().expect("client");
    assert!(stranger.get(format!("https://localhost:{port}/health")).send().await.is_err());
    // Plain HTTP to the TLS port gets no HTTP answer...
    let plain = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().expect("client");
    let answer = plain.get(format!("http://127.0.0.1:{port}/health")).send().await;
    assert!(answer.map(|r| r.status() != StatusCode::OK).unwrap_or(true), "plain HTTP must not be served");
    // ...and does not stop the server serving TLS.
    let response = client.get(format!("https://localhost:{port}/health")).send().await.expect("https health");
    assert_eq!(response.status(), StatusCode::OK);

    let _ = stop.send(());
    task.await.expect("server task").expect("server");
    let _ = std::fs::remove_dir_all(dir);
}

fn serve(dir: &Path, args: &[&str]) -> std::process::Child {
    Command::new(BIN)
        .arg("serve")
        .args(args)
        .env("OUTREACH_SERVER_DATA", dir)
        .env_remove("OUTREACH_DATABASE_URL")
        .env("OUTREACH_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn")
}

#[test]
fn serve_with_tls_may_listen_beyond_loopback() {
    let (dir, pem) = self_signed();
    let (cert, key) = (dir.join("cert.pem").display().to_string(), dir.join("key.pem").display().to_string());
    let mut child = serve(&dir, &["--listen", "0.0.0.0:0", "--tls-cert", &cert, "--tls-key", &key]);
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let started = Instant::now();
    let (addr, line) = loop {
        assert!(started.elapsed() < Duration::from_secs(30), "the server did not start");
        let Some(Ok(line)) = lines.next() else {
            let _ = child.kill();
            panic!("the server exited before listening")
        };
        if let Some(rest) = line.split("addr=").nth(1) {
            break (rest.split_whitespace().next().expect("address").to_string(), line);
        }
    };
    assert!(line.contains("https"), "{line}");
    let port = addr.rsplit(':').next().expect("port").to_string();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let health = runtime.block_on(async {
        let response = trusting(&pem).get(format!("https://localhost:{port}/health")).send().await;
        response.expect("https health").text().await.expect("body")
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(health, r#"{"status":"ok"}"#);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn unusable_tls_files_and_half_options_are_refused() {
    let (dir, _) = self_signed();
    let (cert, key) = (dir.join("cert.pem").display().to_string(), dir.join("key.pem").display().to_string());
    let missing = dir.join("missing.pem").display().to_string();
    let refused = |args: &[&str]| {
        let out = serve(&dir, args).wait_with_output().expect("run");
        assert!(!out.status.success(), "{args:?} should fail");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let message = refused(&["--listen", "127.0.0.1:0", "--tls-cert", &missing, "--tls-key", &key]);
    assert!(message.contains("TLS certificate file"), "{message}");
    // The key where the certificate should be, and the other way round.
    let message = refused(&["--listen", "127.0.0.1:0", "--tls-cert", &key, "--tls-key", &key]);
    assert!(message.contains("holds no certificate"), "{message}");
    let message = refused(&["--listen", "127.0.0.1:0", "--tls-cert", &cert, "--tls-key", &cert]);
    assert!(message.contains("private key"), "{message}");
    let message = refused(&["--listen", "127.0.0.1:0", "--tls-cert", &cert]);
    assert!(message.contains("--tls-key"), "{message}");
    let message = refused(&["--listen", "127.0.0.1:0", "--tls-cert", &cert, "--tls-key", &key, "--allow-plain-http"]);
    assert!(message.contains("cannot be used with"), "{message}");
    assert!(!dir.join("outreach-server.db").exists(), "nothing was opened before the TLS files were checked");
    let _ = std::fs::remove_dir_all(dir);
}

/// A throwaway PostgreSQL that accepts only TLS connections (`hostssl`),
/// with a self-signed certificate for `localhost`; stopped and removed on
/// drop. Made with the machine's own `initdb` and `pg_ctl`, run as the
/// `postgres` user.
struct TlsPostgres {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
}

impl TlsPostgres {
    fn start() -> Self {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .expect("PostgreSQL's programs in /usr/lib/postgresql")
            .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
            .find(|b| b.join("initdb").exists())
            .expect("initdb");
        let dir = std::env::temp_dir().join(format!("outreach-pgtls-{}", Uuid::now_v7().simple()));
        std::fs::create_dir_all(&dir).expect("dir");
        let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("certificate");
        std::fs::write(dir.join("cert.pem"), made.cert.pem()).expect("cert");
        std::fs::write(dir.join("key.pem"), made.signing_key.serialize_pem()).expect("key");
        let port = std::net::TcpListener::bind("127.0.0.1:0").expect("port").local_addr().expect("addr").port();
        let me = Self { dir, bin, port };
        me.run("chown", &["-R", "postgres:postgres", me.path("").as_str()], false);
        me.run("chmod", &["600", me.path("key.pem").as_str()], false);
        let initdb = me.bin.join("initdb");
        let data = me.path("data");
        me.run(initdb.to_str().expect("path"), &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync"], true);
        std::fs::write(
            me.dir.join("data/pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostssl all all ::1/128 trust\n",
        )
        .expect("pg_hba");
        let options = format!(
            "-p {port} -k {dir} -c listen_addresses=localhost -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key} -c fsync=off",
            dir = me.path(""),
            cert = me.path("cert.pem"),
            key = me.path("key.pem"),
        );
        let pg_ctl = me.bin.join("pg_ctl");
        let log = me.path("log");
        me.run(pg_ctl.to_str().expect("path"), &["-D", &data, "-l", &log, "-w", "-o", &options, "start"], true);
        me
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_string_lossy().into_owned()
    }

    /// Runs `program` (as the postgres user when `as_postgres`), panicking with its output if it fails.
    fn run(&self, program: &str, args: &[&str], as_postgres: bool) {
        let mut command = if as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", program]);
            c
        } else {
            Command::new(program)
        };
        let out = command.args(args).output().expect(program);
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn url(&self, host: &str, query: &str) -> String {
        format!("postgres://postgres@{host}:{}/postgres{query}", self.port)
    }
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--"])
            .arg(pg_ctl)
            .args(["-D", &self.path("data"), "-m", "immediate", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Review item 7: the database connection can be encrypted, and then the
/// server's certificate is verified (chain and host name); a database that
/// accepts only TLS refuses a plain connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_over_tls_verifies_the_servers_certificate() {
    let pg = TlsPostgres::start();
    let ca = pg.path("cert.pem");
    let verified = pg.url("localhost", &format!("?sslmode=verify-full&sslrootcert={ca}"));
    let db = outreach_server_db::connect(&verified).await.expect("a verified TLS connection");
    assert_eq!(db.backend(), Backend::Postgres);
    db.migrate().await.expect("migrations over TLS");
    db.add_team("Liverpool Outreach", &["Liverpool".into()]).await.expect("a write over TLS");
    let required = pg.url("localhost", &format!("?sslmode=require&sslrootcert={ca}"));
    outreach_server_db::connect(&required).await.expect("require verifies too, with the CA given");

    let refusals = [
        ("a certificate no trusted root signed", pg.url("localhost", "?sslmode=require")),
        (
            "a host name the certificate does not name",
            pg.url("127.0.0.1", &format!("?sslmode=verify-full&sslrootcert={ca}")),
        ),
        ("a plain connection to a database that takes only TLS", pg.url("localhost", "")),
    ];
    for (what, url) in refusals {
        let outcome = outreach_server_db::connect(&url).await;
        assert!(outcome.is_err(), "{what} must be refused");
    }
}
