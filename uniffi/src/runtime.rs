//! One bounded tokio runtime for everything the FFI runs off the caller's thread
//! (after matrix-sdk-ffi's `platform`): few workers, a small blocking pool, named threads.
//! Async exports are polled by the foreign language's executor; the work itself runs here.

use std::sync::LazyLock;

static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .thread_stack_size(2 * 1024 * 1024)
        .thread_name("idwallet-worker")
        .enable_all()
        .build()
        .expect("the idwallet runtime could not start its threads")
});

/// Run blocking work (KDFs, SQLite, inference) on the runtime's blocking pool.
///
/// A panic in `f` is resumed in the awaiting future, where uniffi catches it and raises
/// it in the foreign language as an exception, as for a panic in a synchronous call.
pub(crate) async fn run_blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match RUNTIME.spawn_blocking(f).await {
        Ok(value) => value,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => panic!("the idwallet runtime shut down while work was running"),
    }
}

/// Run a future (network calls) on the runtime, where reqwest's reactor lives. Dropping
/// the returned future — a cancelled coroutine or Task — aborts the work.
pub(crate) async fn run_async<T: Send + 'static>(f: impl std::future::Future<Output = T> + Send + 'static) -> T {
    struct AbortOnDrop(tokio::task::AbortHandle);
    impl Drop for AbortOnDrop {
        fn drop(&mut self) {
            self.0.abort();
        }
    }
    let task = RUNTIME.spawn(f);
    let _guard = AbortOnDrop(task.abort_handle());
    match task.await {
        Ok(value) => value,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(_) => panic!("the idwallet runtime shut down while work was running"),
    }
}

/// A flag set when the future holding this is dropped — a cancelled coroutine or Task —
/// for blocking work that checks it between steps (a blocking job cannot be aborted).
#[derive(Default)]
pub(crate) struct CancelOnDrop(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl CancelOnDrop {
    pub(crate) fn flag(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        self.0.clone()
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}
