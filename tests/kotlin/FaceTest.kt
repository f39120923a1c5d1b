// Face unlock as an app would do it: models loaded once from "assets" (with progress), the
// holder enrolled from a photo, then liveness sessions fed camera frames. A JVM has no
// camera and no live holder: the passing path runs in Rust on synthetic frames
// (core/tests/liveness.rs); here a photo held still and a replayed frame must fail, count
// towards the lockout and never unlock.
package org.idwallet.test

import java.io.File
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.idwallet.*

internal val modelsDir = File(System.getenv("IDWALLET_MODELS") ?: error("IDWALLET_MODELS must name the models directory"))
internal fun photo(name: String) = File(modelsDir, "photos/$name.jpg").readBytes()

private val loadSteps = mutableListOf<Pair<UInt, UInt>>()

private val faceModels: FaceModels by lazy {
    runBlocking {
        FaceModels.load(
            File(modelsDir, "face_detection_yunet_2023mar_int8bq.onnx").readBytes(),
            File(modelsDir, "face_recognition_sface_2021dec_int8bq.onnx").readBytes(),
            object : ProgressListener {
                override fun onProgress(done: UInt, total: UInt) { synchronized(loadSteps) { loadSteps += done to total } }
            },
            File(modelsDir, "iris_landmark.onnx").readBytes(),
        )
    }
}

val faceTests = linkedMapOf<String, () -> Unit>(
    "a photo held up or a replayed frame never unlocks, and failures lock out" to {
        runBlocking {
            val wallet = Wallet.open(File(Files.createTempDirectory("idwallet-face").toFile(), "w.db").path, JcaKeyStore.ephemeral(), OpenOptions())
            assertFalse(wallet.isFaceEnrolled())
            assertFailsWith<WalletException.NotEnrolled> { wallet.startFaceUnlock(faceModels) }
            assertEquals(listOf(0u to 3u, 1u to 3u, 2u to 3u, 3u to 3u), synchronized(loadSteps) { loadSteps.toList() })
            val quality = wallet.enrolFace(faceModels, photo("person_a_1"))
            assertTrue(quality.eyeDistancePx > 24f)
            assertTrue(wallet.isFaceEnrolled())
            // With the iris model loaded, sessions also ask for blinks: a session lacks a given
            // kind with probability 1/3, so 40 sessions all lacking one is ~1 in 10^19.
            val asked = (1..40).flatMap { wallet.startFaceUnlock(faceModels).challenges() }.toSet()
            assertEquals(Challenge.entries.toSet(), asked)

            repeat(3) { attempt ->
                val session = wallet.startFaceUnlock(faceModels)
                val challenges = session.challenges()
                assertEquals(3, challenges.size)
                assertTrue(challenges.zipWithNext().all { (a, b) -> a != b })
                val frame = CameraFrame.Encoded(photo("person_a_1"))
                assertFailsWith<WalletException.FaceNotUsable> { session.feed(CameraFrame.Encoded(ByteArray(100)), 1u) }
                val first = session.feed(frame, 100u)
                assertTrue(first is UnlockProgress.Moving && first.index == 0u && first.challenge == challenges[0], "$first")
                // The same frame again: a frozen or replayed feed.
                val e = assertFailsWith<WalletException.LivenessFailed> { session.feed(frame, 200u) }
                assertTrue(e.message!!.contains("repeated"), e.message)
                assertFailsWith<WalletException.SessionEnded> { session.feed(frame, 300u) }
            }
            assertNotNull(assertFailsWith<WalletException.LockedOut> { wallet.startFaceUnlock(faceModels) }.message)
            assertEquals(null, wallet.unlockedUntil())
            assertEquals(listOf(ActivityKind.UNLOCK, ActivityKind.UNLOCK, ActivityKind.UNLOCK, ActivityKind.FACE_ENROLLED), wallet.activity(4u).map { it.kind })
            assertTrue(wallet.unenrolFace())
            wallet.closeWallet()
        }
    },
    "comparing two photos gives the similarity and the decision" to {
        runBlocking {
            val same = faceModels.compare(photo("person_b_1"), photo("person_b_2"))
            assertTrue(same.samePerson && same.similarity > same.threshold)
            val other = faceModels.compare(photo("person_b_1"), photo("impostor_2"))
            assertFalse(other.samePerson)
            assertNotNull(assertFailsWith<FaceException.BadModel> { FaceModels.load(ByteArray(10), ByteArray(10)) }.message)
        }
    },
)
