// Coroutine-native face unlock: model loading and a liveness session as Flows.
package org.idwallet

import kotlinx.coroutines.channels.awaitClose
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.callbackFlow
import kotlinx.coroutines.flow.transformWhile
import kotlinx.coroutines.launch

/** A camera frame and when it was captured, in milliseconds of a monotonic clock. */
class TimedFrame(val frame: CameraFrame, val timestampMs: ULong)

/** Steps of [FaceModels.Companion.loading]. */
sealed interface ModelsLoading {
    /** `done` of `total` steps finished (for a progress bar). */
    data class Progress(val done: UInt, val total: UInt) : ModelsLoading

    /** Ready: keep this one instance for the life of the process. */
    class Loaded(val models: FaceModels) : ModelsLoading
}

/**
 * Load the face models (bytes from the app's assets) off the main thread, as a Flow of
 * [ModelsLoading.Progress] steps ending in [ModelsLoading.Loaded]. [iris] (MediaPipe Iris,
 * `iris_landmark.nnef.tar`) adds the blink to liveness sessions. A model that cannot be loaded
 * fails the flow with [FaceException.BadModel].
 */
fun FaceModels.Companion.loading(
    detector: ByteArray,
    embedder: ByteArray,
    iris: ByteArray? = null,
): Flow<ModelsLoading> = callbackFlow {
    launch {
        try {
            val listener = object : ProgressListener {
                override fun onProgress(done: UInt, total: UInt) {
                    trySend(ModelsLoading.Progress(done, total))
                }
            }
            send(ModelsLoading.Loaded(load(detector, embedder, listener, iris)))
            close()
        } catch (e: Exception) {
            close(e)
        }
    }
    awaitClose()
}

/**
 * The colour to fill the screen with while [UnlockProgress.ShowColour] lasts, as an opaque
 * Android colour int: `window.decorView.setBackgroundColor(step.argb)` with the window at
 * full brightness (`attributes.screenBrightness = 1f`), auto-exposure and white balance
 * locked (`docs/mobile.md`). Hide every other view: the face must be lit by this colour alone.
 */
val UnlockProgress.ShowColour.argb: Int
    get() = (0xFF shl 24) or (red.toInt() shl 16) or (green.toInt() shl 8) or blue.toInt()

/**
 * Feed camera [frames] to this enrolment or unlock session and emit what the UI shows after each one. The flow
 * completes after [UnlockProgress.Unlocked]; a failed unlock fails it with the
 * [WalletException] (`LivenessFailed`, `FaceMismatch`, `LockedOut`), already counted by the
 * wallet. A frame that cannot be read (`FaceNotUsable`: a dropped or corrupt buffer) is
 * skipped and leaves the session as it was. Time limits run on the frames' timestamps, so
 * a camera that stops delivering frames just leaves the flow waiting: cancel it.
 */
fun FaceSession.progress(frames: Flow<TimedFrame>): Flow<UnlockProgress> = frames.transformWhile { f ->
    val step = try {
        feed(f.frame, f.timestampMs)
    } catch (e: WalletException.FaceNotUsable) {
        return@transformWhile true
    }
    emit(step)
    step !is UnlockProgress.Unlocked
}
