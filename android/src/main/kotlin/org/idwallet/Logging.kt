// idwallet's logs into the app's logger with a lambda instead of an interface.
package org.idwallet

/**
 * Send idwallet's log events at [maxLevel] and more severe to [write] (e.g. Timber, SLF4J;
 * on Android [org.idwallet.android.LogcatSink] does it for Logcat). Events never contain
 * names, ID numbers or faces. Returns false if the process already had another `tracing` subscriber.
 */
fun logTo(maxLevel: LogLevel, write: (level: LogLevel, target: String, message: String) -> Unit): Boolean =
    setLogSink(
        object : LogSink {
            override fun log(level: LogLevel, target: String, message: String) = write(level, target, message)
        },
        maxLevel,
    )
