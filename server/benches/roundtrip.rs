//! What signing costs end to end: a signed score round trip through the real server
//! (client signs with the device key; the server verifies the signature, checks the nonce,
//! looks up the device, computes the score and signs the response; the client verifies it)
//! against the same work over the same loopback without any signing — a plain route on the
//! same server state that looks up the device, computes the score and returns the JSON.
//! `scripts/bench.sh` prints the ratio.

use std::sync::Arc;

use axum::extract::{Path, State as AxumState};
use axum::routing::get;
use criterion::{criterion_group, criterion_main, Criterion};
use idwallet_core::net::client::{Client, ClientOptions};
use idwallet_core::platform::KdfParams;
use idwallet_core::wire::{self, ScoreResponse};
use idwallet_core::{KeyStore, SoftwareKeyStore};
use idwallet_server::{ServerConfig, State};

/// The unsigned twin of `GET /v1/scores/{provider}`.
async fn plain_score(
    AxumState((state, device)): AxumState<(Arc<State>, String)>,
    Path(provider): Path<String>,
) -> Vec<u8> {
    tokio::task::spawn_blocking(move || {
        let device = state.device(&device).unwrap().unwrap();
        let provider = idwallet_core::score::provider(&provider).unwrap();
        let (score, history) = state.score(device.citizen, provider, idwallet_core::now_unix()).unwrap();
        serde_json::to_vec(&ScoreResponse { score, history }).unwrap()
    })
    .await
    .unwrap()
}

fn roundtrip(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::new(dir.path().join("server"));
    config.citizens = 4;
    let server = rt.block_on(idwallet_server::start(config, "127.0.0.1:0".parse().unwrap())).unwrap();
    let fast = KdfParams { memory_kib: 1024, iterations: 1, parallelism: 1 };
    let keys: Arc<dyn KeyStore> = Arc::new(SoftwareKeyStore::create(dir.path().join("keys"), b"p", fast).unwrap());
    let client =
        Client::new(&server.base_url(), server.state.server_key(), keys.clone(), ClientOptions::default()).unwrap();
    let code = server.state.activation_code(1).unwrap().unwrap();
    let request =
        wire::RegisterRequest { public_key: wire::B64(keys.device_public_key().unwrap()), activation_code: code };
    let registered: wire::RegisterResponse = rt.block_on(client.post(wire::path::DEVICES, &request)).unwrap();

    let plain_app = axum::Router::new()
        .route("/plain/scores/{provider}", get(plain_score))
        .with_state((server.state.clone(), registered.device_id));
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0")).unwrap();
    let plain_url = format!("http://{}/plain/scores/sesame", listener.local_addr().unwrap());
    rt.spawn(async move { axum::serve(listener, plain_app).await });
    let plain = reqwest::Client::new();
    let signed_path = format!("{}/sesame", wire::path::SCORES);

    let mut group = c.benchmark_group("score round trip");
    group.bench_function("signed", |b| {
        b.iter(|| rt.block_on(client.get::<ScoreResponse>(&signed_path)).unwrap());
    });
    group.bench_function("unsigned", |b| {
        b.iter(|| {
            rt.block_on(async {
                let body = plain.get(&plain_url).send().await.unwrap().bytes().await.unwrap();
                serde_json::from_slice::<ScoreResponse>(&body).unwrap()
            })
        });
    });
    group.finish();
}

criterion_group!(benches, roundtrip);
criterion_main!(benches);
