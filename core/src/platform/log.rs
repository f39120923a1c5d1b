//! `tracing` inside, one host sink outside (Logcat, os_log, a Python logger…).
//!
//! The bridge installs one global subscriber the first time a sink is set; later calls
//! only swap the sink and level, so tests and apps may call [`set_log_sink`] repeatedly.
//! Events carry operation names and counts, never personal data.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Once, RwLock};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Log levels, mirrored from `tracing` so its types never cross the FFI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error = 1,
    Warn = 2,
    Info = 3,
    Debug = 4,
    Trace = 5,
}

impl LogLevel {
    fn of(level: &tracing::Level) -> Self {
        match *level {
            tracing::Level::ERROR => Self::Error,
            tracing::Level::WARN => Self::Warn,
            tracing::Level::INFO => Self::Info,
            tracing::Level::DEBUG => Self::Debug,
            tracing::Level::TRACE => Self::Trace,
        }
    }
}

/// Where the core's log lines go.
pub trait LogSink: Send + Sync {
    fn log(&self, level: LogLevel, target: &str, message: &str);
}

static SINK: RwLock<Option<Arc<dyn LogSink>>> = RwLock::new(None);
static MAX_LEVEL: AtomicU8 = AtomicU8::new(0);
static INSTALL: Once = Once::new();

/// Send the core's logs at `max_level` and above to `sink` (or stop, with `None`).
///
/// Returns false if another global `tracing` subscriber was installed by the host
/// application first; the sink then receives nothing and the host's subscriber wins.
pub fn set_log_sink(sink: Option<Arc<dyn LogSink>>, max_level: LogLevel) -> bool {
    let level = if sink.is_some() { max_level as u8 } else { 0 };
    *SINK.write().unwrap_or_else(|p| p.into_inner()) = sink;
    MAX_LEVEL.store(level, Ordering::Relaxed);
    let mut installed = true;
    INSTALL.call_once(|| {
        installed = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(SinkLayer)).is_ok();
    });
    tracing::callsite::rebuild_interest_cache();
    installed
}

struct SinkLayer;

impl<S: Subscriber> Layer<S> for SinkLayer {
    fn enabled(&self, metadata: &tracing::Metadata<'_>, _: Context<'_, S>) -> bool {
        (LogLevel::of(metadata.level()) as u8) <= MAX_LEVEL.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let Some(sink) = SINK.read().ok().and_then(|s| s.clone()) else { return };
        let mut message = MessageVisitor(String::new());
        event.record(&mut message);
        let meta = event.metadata();
        sink.log(LogLevel::of(meta.level()), meta.target(), &message.0);
    }
}

/// Renders `message` first, then the other fields as `name=value`.
struct MessageVisitor(String);

impl Visit for MessageVisitor {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let rest = std::mem::take(&mut self.0);
            let _ = write!(self.0, "{value:?}");
            if !rest.is_empty() {
                self.0.push(' ');
                self.0.push_str(&rest);
            }
        } else {
            if !self.0.is_empty() {
                self.0.push(' ');
            }
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Collect(Mutex<Vec<(LogLevel, String, String)>>);
    impl LogSink for Collect {
        fn log(&self, level: LogLevel, target: &str, message: &str) {
            self.0.lock().unwrap().push((level, target.into(), message.into()));
        }
    }

    #[test]
    fn events_reach_the_sink_filtered_by_level() {
        let sink = Arc::new(Collect::default());
        assert!(set_log_sink(Some(sink.clone()), LogLevel::Info));
        tracing::info!(target: "idwallet::test", records = 3, "stored");
        tracing::debug!(target: "idwallet::test", "too detailed");
        set_log_sink(None, LogLevel::Trace);
        tracing::error!(target: "idwallet::test", "after removal");
        let got = sink.0.lock().unwrap().clone();
        assert_eq!(got, vec![(LogLevel::Info, "idwallet::test".into(), "stored records=3".into())]);
    }
}
