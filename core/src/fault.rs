//! Fault injection for the binding tests (tikv's `fail` crate). With the `failpoints`
//! feature, `IDWALLET_FAILPOINTS="wallet::documents=1*panic(forced)"` (`;`-separated
//! `name=actions`, read once per process) arms the named points, so the Kotlin and Python
//! tests can force a panic inside core and check it reaches them as an exception with the
//! process alive. Without the feature `fail_point!` compiles to nothing: app builds carry
//! no trace of it.

/// Arm the points listed in `IDWALLET_FAILPOINTS`, once per process.
pub(crate) fn arm_from_env() {
    #[cfg(feature = "failpoints")]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            let spec = std::env::var("IDWALLET_FAILPOINTS").unwrap_or_default();
            for (name, actions) in spec.split(';').filter_map(|item| item.split_once('=')) {
                if let Err(e) = fail::cfg(name.trim(), actions.trim()) {
                    tracing::warn!(target: "idwallet::fault", point = name.trim(), "cannot arm: {e}");
                }
            }
        });
    }
}
