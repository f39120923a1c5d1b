//! Test fixtures: the real server on loopback, phones with real wallets and key stores, a
//! raw signing client for attacks on the server, and a man-in-the-middle proxy for attacks
//! on the phone.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use idwallet_core::credential::status::verify_token;
use idwallet_core::net::client::ClientOptions;
use idwallet_core::net::policy;
use idwallet_core::platform::KdfParams;
use idwallet_core::score::ScoreSnapshot;
use idwallet_core::wallet::Service;
use idwallet_core::wire;
use idwallet_core::{KeyStore, OpenOptions, SoftwareKeyStore, Wallet, WalletError};
use idwallet_server::{RunningServer, ServerConfig, State};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Where `models/fetch.sh` put the face models and photos.
pub fn models_dir() -> std::path::PathBuf {
    std::env::var_os("IDWALLET_MODELS").map(std::path::PathBuf::from).unwrap_or_else(|| {
        std::env::var_os("IDWALLET_TOOLS")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools"))
            .join("models")
    })
}

pub fn now() -> i64 {
    idwallet_core::now_unix()
}

pub struct Server {
    running: RunningServer,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = ServerConfig::new(dir.path());
        config.citizens = 8;
        config.photos = Some(models_dir().join("photos"));
        let running = idwallet_server::start(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
        Self { running, _dir: dir }
    }

    /// Stop and start again on the same data and address (a restart of the service).
    pub async fn restart(self) -> Self {
        let (addr, dir) = (self.running.addr, self._dir);
        self.running.stop().await.unwrap();
        let mut config = ServerConfig::new(dir.path());
        config.citizens = 8;
        config.photos = Some(models_dir().join("photos"));
        let running = idwallet_server::start(config, addr).await.unwrap();
        Self { running, _dir: dir }
    }

    pub fn url(&self) -> String {
        self.running.base_url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.addr
    }

    pub fn key(&self) -> Vec<u8> {
        self.running.state.server_key()
    }

    pub fn state(&self) -> &State {
        &self.running.state
    }

    /// Everything a request could change, as one comparable value.
    pub fn fingerprint(&self) -> String {
        let state = self.state();
        let (counts, activity) = state.store.counts().unwrap();
        let devices: Vec<_> = state
            .store
            .list::<idwallet_server::DeviceRecord>()
            .unwrap()
            .into_iter()
            .map(|d| (d.device_id, d.citizen, d.registered_at))
            .collect();
        let codes: Vec<_> = (1..=8).map(|n| state.activation_code(n).unwrap()).collect();
        let histories: Vec<_> = state
            .store
            .list::<idwallet_server::HistoryRecord>()
            .unwrap()
            .into_iter()
            .map(|h| (h.id, h.points))
            .collect();
        let status = verify_token(&state.status_token(now()).unwrap(), &state.trust_list(), now()).unwrap().list;
        format!("{counts:?} {activity} {devices:?} {codes:?} {histories:?} {:?}", status.compressed())
    }

    pub async fn stop(self) {
        self.running.stop().await.unwrap();
    }
}

pub struct Phone {
    pub wallet: Wallet,
    pub keys: Arc<dyn KeyStore>,
    dir: tempfile::TempDir,
}

fn fast_kdf() -> KdfParams {
    KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 }
}

impl Phone {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let keys: Arc<dyn KeyStore> =
            Arc::new(SoftwareKeyStore::create(dir.path().join("keys"), b"pass", fast_kdf()).unwrap());
        let wallet = Wallet::open(dir.path().join("wallet.db"), keys.clone(), OpenOptions::default()).unwrap();
        Self { wallet, keys, dir }
    }

    pub async fn register(&self, server: &Server, citizen: u32) -> Result<Service, WalletError> {
        let code = server.state().activation_code(citizen).unwrap().unwrap();
        self.wallet.register(&server.url(), &server.key(), &code).await
    }

    /// A second wallet for `registered`'s device that talks to the service through `url`,
    /// with `registered`'s cached scores.
    pub fn with_service(server: &Server, url: &str, registered: &Phone, options: ClientOptions) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.db");
        let wallet =
            Wallet::open(path, registered.keys.clone(), OpenOptions::default()).unwrap().with_client_options(options);
        let service = registered.wallet.service().unwrap().unwrap();
        wallet.store().put(&Service { base_url: url.into(), server_key: server.key(), ..service }, None).unwrap();
        for snapshot in registered.wallet.store().list::<ScoreSnapshot>().unwrap() {
            wallet.store().put(&snapshot, None).unwrap();
        }
        Self { wallet, keys: registered.keys.clone(), dir }
    }
}

/// A request signed by hand, to be tampered with before sending.
#[derive(Debug, Clone)]
pub struct RawRequest {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawRequest {
    pub fn set_header(&mut self, name: &str, value: &str) {
        for (k, v) in &mut self.headers {
            if k == name {
                *v = value.into();
            }
        }
    }
}

pub struct RawClient {
    base: String,
    keys: Arc<dyn KeyStore>,
    http: reqwest::Client,
}

impl RawClient {
    pub fn new(server: &Server, keys: Arc<dyn KeyStore>) -> Self {
        Self { base: server.url(), keys, http: reqwest::Client::new() }
    }

    pub fn register_body(&self, code: &str) -> Vec<u8> {
        let req = wire::RegisterRequest {
            public_key: wire::B64(self.keys.device_public_key().unwrap()),
            activation_code: code.into(),
        };
        serde_json::to_vec(&req).unwrap()
    }

    pub fn signed(&self, method: &str, path: &str, body: &[u8], created: i64) -> RawRequest {
        let uri = format!("{}{path}", self.base);
        let nonce = format!("n{}", rand_suffix());
        let keyid = wire::device_id(&self.keys.device_public_key().unwrap());
        let body_part = (!body.is_empty()).then_some(body);
        let headers =
            policy::sign_request(method, &uri, body_part, &keyid, &nonce, created, |b| Ok(self.keys.sign(b)?)).unwrap();
        RawRequest { method: method.into(), path: path.into(), headers, body: body.to_vec() }
    }

    /// Send; the status and the refusal code as on the wire (empty for success): read
    /// from the JSON, not through our `ErrorCode`, so the wire strings are checked too.
    pub async fn send(&self, req: &RawRequest) -> (u16, String) {
        let method = reqwest::Method::from_bytes(req.method.as_bytes()).unwrap();
        let mut builder = self.http.request(method, format!("{}{}", self.base, req.path));
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        let resp = builder.body(req.body.clone()).send().await.unwrap();
        let status = resp.status().as_u16();
        let body = resp.bytes().await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let code = json["code"].as_str().unwrap_or_default().to_owned();
        (status, code)
    }
}

fn rand_suffix() -> u64 {
    static N: AtomicUsize = AtomicUsize::new(0);
    (now() as u64) << 20 | N.fetch_add(1, Ordering::Relaxed) as u64
}

/// What the man in the middle does to each exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attack {
    /// Change one byte of the JSON body (same length).
    FlipBodyByte,
    /// Answer every request after the first with the first response.
    ReplayFirstResponse,
    /// Remove the response's signature headers.
    StripSignature,
    /// Send the headers and half the body, then hang up.
    Truncate,
    /// Read the request and never answer.
    Stall,
}

pub struct Proxy {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
}

impl Proxy {
    pub async fn start(upstream: SocketAddr, attack: Attack) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        let recorded: Arc<tokio::sync::Mutex<Option<Vec<u8>>>> = Arc::default();
        tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let Some(request) = read_message(&mut client).await else { return };
                    if attack == Attack::Stall {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        return;
                    }
                    let mut server = TcpStream::connect(upstream).await.unwrap();
                    server.write_all(&request).await.unwrap();
                    let Some(response) = read_message(&mut server).await else { return };
                    let split = find(&response, b"\r\n\r\n").unwrap() + 4;
                    let (head, body) = response.split_at(split);
                    let mut head =
                        String::from_utf8(head.to_vec()).unwrap().replacen("\r\n", "\r\nconnection: close\r\n", 1);
                    let mut body = body.to_vec();
                    match attack {
                        Attack::FlipBodyByte => {
                            let i = body.iter().position(|b| b.is_ascii_digit()).unwrap();
                            body[i] = if body[i] == b'9' { b'8' } else { body[i] + 1 };
                        }
                        Attack::ReplayFirstResponse => {
                            let mut first = recorded.lock().await;
                            match first.as_ref() {
                                Some(old) => {
                                    client.write_all(old).await.unwrap();
                                    return;
                                }
                                None => *first = Some([head.as_bytes(), &body].concat()),
                            }
                        }
                        Attack::StripSignature => {
                            let kept: Vec<&str> =
                                head.lines().filter(|l| !l.is_empty() && !l.starts_with("signature")).collect();
                            head = kept.join("\r\n") + "\r\n\r\n";
                        }
                        Attack::Truncate => body.truncate(body.len() / 2),
                        Attack::Stall => unreachable!(),
                    }
                    let _ = client.write_all(head.as_bytes()).await;
                    let _ = client.write_all(&body).await;
                    let _ = client.shutdown().await;
                });
            }
        });
        Self { addr, connections }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// One HTTP/1.1 message with a Content-Length body (what both sides send here).
async fn read_message(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(&buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap()))
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(buf);
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// Enrol `phone`'s holder (citizen `n`, registered and with documents) by a liveness
/// session on synthetic frames of their live photo, matched against the issuer's reference
/// portrait: the enrolment unlocks the eID.
pub fn enrol_and_unlock(phone: &Phone, n: u32) {
    face_session(phone, n, idwallet_core::wallet::FacePurpose::Enrol).unwrap();
}

/// A `purpose` face session by `phone`'s holder (citizen `n`) on synthetic frames of their
/// live photo.
pub fn face_session(
    phone: &Phone,
    n: u32,
    purpose: idwallet_core::wallet::FacePurpose,
) -> Result<idwallet_core::wallet::Unlocked, idwallet_core::WalletError> {
    use idwallet_core::face::{liveness::Challenge, synthetic::Act, FaceModels, Frame, DETECTOR_FILE, EMBEDDER_FILE};
    let dir = models_dir();
    let models = FaceModels::load(
        &std::fs::read(dir.join(DETECTOR_FILE)).unwrap(),
        &std::fs::read(dir.join(EMBEDDER_FILE)).unwrap(),
    )
    .unwrap();
    let name = idwallet_core::documents::synthetic::real_face(n).live_photo;
    let live = Frame::Encoded(std::fs::read(dir.join(format!("photos/{name}.jpg"))).unwrap());
    let order = vec![Challenge::TurnLeft, Challenge::LookUp, Challenge::TurnRight];
    phone.wallet.synthetic_face_session(purpose, &models, live, Act::Genuine, order, now(), &mut |_| {})
}
