// JVM tests of the Gradle module's plain-Kotlin layer (JcaKeyStore, Flows, logTo). CI compiles
// them with the wrapper and tests/kotlin's runner, which runs `wrapperTests` with the rest.
package org.idwallet.test

import java.io.File
import java.nio.file.Files
import java.security.KeyPairGenerator
import java.security.interfaces.ECPublicKey
import java.util.concurrent.CopyOnWriteArrayList
import javax.crypto.KeyGenerator
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlinx.coroutines.flow.catch
import kotlinx.coroutines.flow.flowOf
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.runBlocking
import org.idwallet.*

private fun der(r: ByteArray, s: ByteArray): ByteArray {
    val body = byteArrayOf(2, r.size.toByte()) + r + byteArrayOf(2, s.size.toByte()) + s
    return byteArrayOf(0x30, body.size.toByte()) + body
}

val wrapperTests = linkedMapOf<String, () -> Unit>(
    "JcaKeyStore signs ES256 as raw r‖s that verifies, whatever the DER integer lengths" to {
        val keys = JcaKeyStore.ephemeral()
        repeat(300) { i ->
            val message = "request $i".toByteArray()
            val signature = keys.sign(message)
            assertEquals(64, signature.size)
            assertTrue(verifyP1363(keys.devicePublicKey(), message, signature), "signature $i")
        }
        // A 33-byte r (leading zero for the sign bit) and a 31-byte s, as providers emit them.
        val r = byteArrayOf(0) + ByteArray(32) { 0x80.toByte() }
        val s = ByteArray(31) { 7 }
        assertContentEquals(ByteArray(32) { 0x80.toByte() } + byteArrayOf(0) + ByteArray(31) { 7 }, derToRaw(der(r, s)))
        for (bad in listOf(ByteArray(0), der(r, s).copyOf(20), der(ByteArray(34) { 1 }, s), der(r, s) + byteArrayOf(0))) {
            assertFailsWith<KeyStoreException.Unavailable> { derToRaw(bad) }
        }
    },
    "JcaKeyStore unwraps only its own unaltered wrapped keys" to {
        val keys = JcaKeyStore.ephemeral()
        val secret = ByteArray(32) { it.toByte() }
        val wrapped = keys.wrapKey(secret)
        assertContentEquals(secret, keys.unwrapKey(wrapped))
        assertFalse(wrapped.copyOfRange(12, 44).contentEquals(secret))
        for (i in wrapped.indices step 7) {
            val bad = wrapped.copyOf().also { it[i] = (it[i].toInt() xor 1).toByte() }
            assertFailsWith<KeyStoreException.UnwrapFailed> { keys.unwrapKey(bad) }
        }
        assertFailsWith<KeyStoreException.UnwrapFailed> { keys.unwrapKey(wrapped.copyOf(20)) }
        assertFailsWith<KeyStoreException.UnwrapFailed> { JcaKeyStore.ephemeral().unwrapKey(wrapped) }
    },
    "a provider failure is KeyStoreException.Unavailable naming only the exception class" to {
        val ec = KeyPairGenerator.getInstance("EC").generateKeyPair()
        val rsa = KeyPairGenerator.getInstance("RSA").apply { initialize(1024) }.generateKeyPair()
        val des = KeyGenerator.getInstance("DESede").generateKey()
        val broken = JcaKeyStore(DeviceKeys(rsa.private, ec.public as ECPublicKey, des))
        val e = assertFailsWith<KeyStoreException.Unavailable> { broken.sign("m".toByteArray()) }
        assertEquals("sign failed: InvalidKeyException", e.reason)
        assertFailsWith<KeyStoreException.Unavailable> { broken.wrapKey(ByteArray(32)) }
    },
    "face models load as a Flow of progress steps ending in Loaded; bad bytes fail the flow" to {
        runBlocking {
            val steps = FaceModels.loading(
                File(modelsDir, "face_detection_yunet_2023mar.nnef.tar").readBytes(),
                File(modelsDir, "face_recognition_sface_2021dec.nnef.tar").readBytes(),
            ).toList()
            assertEquals(listOf(ModelsLoading.Progress(0u, 2u), ModelsLoading.Progress(1u, 2u), ModelsLoading.Progress(2u, 2u)), steps.dropLast(1))
            assertTrue(steps.last() is ModelsLoading.Loaded)
            assertFailsWith<FaceException.BadModel> { FaceModels.loading(ByteArray(10), ByteArray(10)).toList() }
        }
    },
    "the liveness Flow skips unreadable frames and ends in the session's typed failure" to {
        runBlocking {
            val models = (FaceModels.loading(
                File(modelsDir, "face_detection_yunet_2023mar.nnef.tar").readBytes(),
                File(modelsDir, "face_recognition_sface_2021dec.nnef.tar").readBytes(),
            ).toList().last() as ModelsLoading.Loaded).models
            val wallet = Wallet.open(File(Files.createTempDirectory("idwallet-flow").toFile(), "w.db").path, JcaKeyStore.ephemeral(), OpenOptions())
            SyntheticIssuer("Test Bureau").issueCitizen(wallet, 2u, 86_400, photo(syntheticFace(2u).idPhoto))
            val session = wallet.startFaceEnrolment(models)
            val still = CameraFrame.Encoded(photo("person_a_1"))
            val frames = flowOf(TimedFrame(CameraFrame.Encoded(ByteArray(100)), 1u), TimedFrame(still, 100u), TimedFrame(still, 200u))
            val shown = mutableListOf<UnlockProgress>()
            var failure: Throwable? = null
            session.progress(frames).catch { failure = it }.collect { shown += it }
            assertEquals(1, shown.size, "$shown")
            // An enrolment begins with the screen's colours (then the movements).
            val colour = shown[0]
            assertTrue(colour is UnlockProgress.ShowColour && colour.untilMs > 100u && colour.argb ushr 24 == 0xFF, "$colour")
            assertTrue(failure is WalletException.LivenessFailed, "$failure")
            assertEquals(null, wallet.unlockedUntil())
            wallet.closeWallet()
        }
    },
    "logTo hands idwallet's events to a Kotlin lambda" to {
        val lines = CopyOnWriteArrayList<String>()
        logTo(LogLevel.DEBUG) { level, target, message -> lines += "$level $target $message" }
        runBlocking { Wallet.open(File(Files.createTempDirectory("idwallet-log").toFile(), "w.db").path, JcaKeyStore.ephemeral(), OpenOptions()).closeWallet() }
        assertTrue(lines.any { it.contains("idwallet::") }, "$lines")
        setLogSink(null, LogLevel.ERROR)
    },
)
