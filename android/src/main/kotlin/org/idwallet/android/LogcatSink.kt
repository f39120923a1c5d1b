package org.idwallet.android

import android.util.Log
import org.idwallet.LogLevel
import org.idwallet.logTo

/** idwallet's logs in Logcat, tagged `idwallet`; events carry no personal data. */
object LogcatSink {
    /** Start logging at [maxLevel] and more severe (call once, e.g. in `Application.onCreate`). */
    fun install(maxLevel: LogLevel = LogLevel.INFO): Boolean = logTo(maxLevel) { level, target, message ->
        val line = "$target: $message"
        when (level) {
            LogLevel.ERROR -> Log.e(TAG, line)
            LogLevel.WARN -> Log.w(TAG, line)
            LogLevel.INFO -> Log.i(TAG, line)
            LogLevel.DEBUG -> Log.d(TAG, line)
            LogLevel.TRACE -> Log.v(TAG, line)
        }
    }

    private const val TAG = "idwallet"
}
