//! idwallet-server: the reference issuer and score service (DESIGN §4).
//!
//! A real service over real HTTP: axum on tokio, its own keys and an encrypted SQLite
//! store in its data directory, synthetic citizens seeded at first start, two score
//! providers. It authenticates every request with idwallet's RFC 9421 profile (registered
//! device keys, clock window, nonce replay) and signs every response. Tests and the demo
//! start it in-process on port 0; `idwallet-server --data DIR --listen ADDR` runs it alone.

mod http;
mod scores;
mod state;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub use http::HttpConfig;
pub use state::{ChallengeUse, CitizenRecord, DeviceRecord, HistoryRecord, ReportRecord, State};

/// Why the server could not start or serve.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("data directory: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] idwallet_core::StoreError),
    #[error(transparent)]
    KeyStore(#[from] idwallet_core::KeyStoreError),
    #[error(transparent)]
    Credential(#[from] idwallet_core::credential::CredentialError),
    #[error(transparent)]
    Report(#[from] idwallet_core::report::ReportError),
    #[error(transparent)]
    Mdl(#[from] idwallet_core::mdl::MdlError),
    #[error("not found")]
    NotFound,
    #[error("could not encode a response")]
    Encoding,
}

/// How to run a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    /// Synthetic citizens to seed at first start.
    pub citizens: u32,
    /// The registry photos (`models/fetch.sh`'s `photos/`) that give citizens real faces
    /// at first start; without them citizens have drawn thumbnails and no reference
    /// portrait, so no face can be enrolled.
    pub photos: Option<PathBuf>,
    pub http: HttpConfig,
}

impl ServerConfig {
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            citizens: 24,
            photos: None,
            http: HttpConfig { window_secs: 300, public_base: None },
        }
    }
}

/// A server running on a background task.
pub struct RunningServer {
    pub addr: SocketAddr,
    pub state: Arc<State>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// `http://ADDR`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stop accepting, finish in-flight requests, and wait.
    pub async fn stop(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await.unwrap_or(Ok(()))
    }
}

pub use state::record_counts;

/// Open the data directory (creating keys and seeding on first start), bind `listen`
/// (port 0 picks a free port), and serve on the current tokio runtime.
pub async fn start(config: ServerConfig, listen: SocketAddr) -> Result<RunningServer, ServerError> {
    let dir = config.data_dir.clone();
    let (citizens, photos) = (config.citizens, config.photos.clone());
    let state = tokio::task::spawn_blocking(move || State::open(&dir, citizens, photos.as_deref()))
        .await
        .map_err(|_| ServerError::Io(std::io::Error::other("start-up task failed")))??;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let app = http::router(state.clone(), config.http);
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    tracing::info!(target: "idwallet::server", %addr, "listening");
    Ok(RunningServer { addr, state, shutdown: Some(tx), task })
}
