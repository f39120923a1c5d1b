// Face unlock as an app would do it: models loaded once from "assets", the holder enrolled
// from a photo, a genuine photo unlocking the eID and an impostor's refused.
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

private val modelsDir = File(System.getenv("IDWALLET_MODELS") ?: error("IDWALLET_MODELS must name the models directory"))
private fun photo(name: String) = File(modelsDir, "photos/$name.jpg").readBytes()

private val faceModels: FaceModels by lazy {
    runBlocking {
        FaceModels.load(
            File(modelsDir, "face_detection_yunet_2023mar_int8bq.onnx").readBytes(),
            File(modelsDir, "face_recognition_sface_2021dec_int8bq.onnx").readBytes(),
        )
    }
}

val faceTests = linkedMapOf<String, () -> Unit>(
    "a holder enrolled from a photo unlocks with another photo; an impostor is refused" to {
        runBlocking {
            val wallet = Wallet.open(File(Files.createTempDirectory("idwallet-face").toFile(), "w.db").path, JcaKeyStore(), OpenOptions())
            assertFalse(wallet.isFaceEnrolled())
            assertFailsWith<WalletException.NotEnrolled> { wallet.unlockWithFace(faceModels, photo("person_a_2")) }
            val quality = wallet.enrolFace(faceModels, photo("person_a_1"))
            assertTrue(quality.eyeDistancePx > 24f)
            val unlocked = wallet.unlockWithFace(faceModels, photo("person_a_2"))
            assertTrue(unlocked.similarity >= 0.4f)
            assertEquals(unlocked.until, wallet.unlockedUntil())
            val e = assertFailsWith<WalletException.FaceMismatch> { wallet.unlockWithFace(faceModels, photo("impostor_1")) }
            assertEquals("the face does not match the enrolled holder", e.message)
            assertFailsWith<WalletException.FaceNotUsable> { wallet.unlockWithFace(faceModels, ByteArray(100)) }
            assertEquals(listOf(ActivityKind.UNLOCK, ActivityKind.UNLOCK, ActivityKind.FACE_ENROLLED), wallet.activity(3u).map { it.kind })
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
