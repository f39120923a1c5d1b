// What an Android developer writes against idwallet, run on the JVM against the host
// library: a key store implemented in Kotlin (JCA, as Android Keystore would be), a real
// wallet file, typed exceptions, and logs arriving through LogSink. The key store is the
// Gradle module's JcaKeyStore (android/), as an app on Android Keystore would use it.
package org.idwallet.test

import java.io.File
import java.math.BigInteger
import java.nio.file.Files
import java.security.KeyFactory
import java.security.KeyPairGenerator
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import java.security.spec.ECPoint
import java.security.spec.ECPublicKeySpec
import java.util.concurrent.CopyOnWriteArrayList
import kotlin.test.assertContentEquals
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.idwallet.*

/** A broken host key store: throws an exception idwallet never declared. */
class ThrowingKeyStore(private val inner: KeyStore) : KeyStore by inner {
    override fun unwrapKey(wrapped: ByteArray): ByteArray = throw IllegalStateException("keystore daemon died")
}

class CollectingSink : LogSink {
    val lines = CopyOnWriteArrayList<String>()
    override fun log(level: LogLevel, target: String, message: String) {
        lines.add("$level $target $message")
    }
}

private fun tempDir(): File = Files.createTempDirectory("idwallet-kt").toFile().apply { deleteOnExit() }

internal fun verifyP1363(publicKey: ByteArray, message: ByteArray, signature: ByteArray): Boolean {
    val params = (KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }
        .generateKeyPair().public as ECPublicKey).params
    val point = ECPoint(BigInteger(1, publicKey.copyOfRange(1, 33)), BigInteger(1, publicKey.copyOfRange(33, 65)))
    val key = KeyFactory.getInstance("EC").generatePublic(ECPublicKeySpec(point, params))
    return Signature.getInstance("SHA256withECDSAinP1363Format").run {
        initVerify(key)
        update(message)
        verify(signature)
    }
}

val walletTests = linkedMapOf<String, () -> Unit>(
    "a wallet opened with a Kotlin key store keeps items across reopen" to {
        val dir = tempDir()
        val path = File(dir, "wallet.db").path
        val keys = JcaKeyStore.ephemeral()
        runBlocking {
            val wallet = Wallet.open(path, keys, OpenOptions())
            wallet.putItem("loyalty-card", "HOTEL-4711".toByteArray())
            wallet.putItem("theme", "dark".toByteArray())
            assertEquals("dark", String(wallet.item("theme").value))
            assertTrue(wallet.deleteItem("theme"))
            wallet.closeWallet()

            val again = Wallet.open(path, keys, OpenOptions(createIfMissing = false))
            assertEquals(listOf("loyalty-card"), again.items().map { it.key })
            assertContentEquals("HOTEL-4711".toByteArray(), again.item("loyalty-card").value)
            val info = again.info()
            assertEquals(listOf(KindCount("item", 1uL)), info.records)
            assertEquals(4uL, info.activityEntries)
            again.closeWallet()
        }
    },
    "the activity log records what happened, newest first" to {
        runBlocking {
            val wallet = Wallet.open(File(tempDir(), "w.db").path, JcaKeyStore.ephemeral(), OpenOptions())
            wallet.putItem("a", byteArrayOf(1))
            wallet.deleteItem("a")
            val log = wallet.activity(10u)
            assertEquals(listOf(ActivityKind.RECORD_DELETED, ActivityKind.RECORD_STORED, ActivityKind.WALLET_CREATED), log.map { it.kind })
            assertTrue(log.all { it.outcome == Outcome.Success })
            assertTrue(log[0].at > 1_700_000_000L)
            wallet.closeWallet()
        }
    },
    "another key store gets WrongKey" to {
        val path = File(tempDir(), "w.db").path
        runBlocking {
            Wallet.open(path, JcaKeyStore.ephemeral(), OpenOptions()).closeWallet()
            val e = assertFailsWith<WalletException.WrongKey> { Wallet.open(path, JcaKeyStore.ephemeral(), OpenOptions()) }
            assertEquals("this key store cannot open the wallet", e.toString())
        }
    },
    "a damaged file gets Corrupt and a foreign file NotAWallet" to {
        val dir = tempDir()
        val path = File(dir, "w.db")
        val keys = JcaKeyStore.ephemeral()
        runBlocking {
            val wallet = Wallet.open(path.path, keys, OpenOptions())
            repeat(50) { wallet.putItem("k$it", ByteArray(300) { 7 }) }
            wallet.closeWallet()
            val bytes = path.readBytes()
            for (i in 4096 until minOf(bytes.size, 3 * 4096)) bytes[i] = 0x5a
            path.writeBytes(bytes)
            assertFailsWith<WalletException.Corrupt> { Wallet.open(path.path, keys, OpenOptions()) }

            val photo = File(dir, "photo.jpg").apply { writeBytes(ByteArray(64) { 0xff.toByte() }) }
            assertFailsWith<WalletException.NotAWallet> { Wallet.open(photo.path, keys, OpenOptions()) }
        }
    },
    "a missing record is NotFound with a readable message, a missing wallet NoWallet" to {
        runBlocking {
            val dir = tempDir()
            val wallet = Wallet.open(File(dir, "w.db").path, JcaKeyStore.ephemeral(), OpenOptions())
            val e = assertFailsWith<WalletException.NotFound> { wallet.item("nope") }
            assertEquals("no item record with that id", e.toString())
            assertEquals("no item record with that id", e.reason)
            assertFalse(wallet.deleteItem("nope"))
            wallet.closeWallet()
            assertFailsWith<WalletException.Closed> { wallet.items() }
            assertFailsWith<WalletException.NoWallet> {
                Wallet.open(File(dir, "absent.db").path, JcaKeyStore.ephemeral(), OpenOptions(createIfMissing = false))
            }
        }
    },
    "log lines arrive through LogSink" to {
        val sink = CollectingSink()
        assertTrue(setLogSink(sink, LogLevel.INFO))
        runBlocking { Wallet.open(File(tempDir(), "w.db").path, JcaKeyStore.ephemeral(), OpenOptions()).closeWallet() }
        setLogSink(null, LogLevel.INFO)
        assertTrue(sink.lines.any { it == "INFO idwallet::store wallet opened schema=1" }, sink.lines.toString())
        assertTrue(sink.lines.none { it.startsWith("DEBUG") || it.startsWith("TRACE") })
    },
    "the software key store checks its passphrase and signs verifiably" to {
        val dir = tempDir()
        val ksPath = File(dir, "keys").path
        runBlocking {
            val keys = SoftwareKeyStore.create(ksPath, "correct horse battery")
            assertFailsWith<KeyStoreException.AlreadyExists> { SoftwareKeyStore.create(ksPath, "x") }
            val wrong = assertFailsWith<KeyStoreException.WrongPassphrase> { SoftwareKeyStore.open(ksPath, "wrong") }
            // Rust's Display text, not the generated (empty) field dump.
            assertEquals("the key store passphrase is wrong", wrong.toString())
            val reopened = SoftwareKeyStore.open(ksPath, "correct horse battery")
            val message = "GET /score".toByteArray()
            val signature = reopened.sign(message)
            assertEquals(64, signature.size)
            assertTrue(verifyP1363(keys.devicePublicKey(), message, signature))
            assertFalse(verifyP1363(keys.devicePublicKey(), "GET /other".toByteArray(), signature))

            val wallet = Wallet.open(File(dir, "w.db").path, reopened, OpenOptions())
            wallet.putItem("k", byteArrayOf(42))
            wallet.closeWallet()
        }
    },
    "an undeclared exception from a host key store becomes a typed error" to {
        val path = File(tempDir(), "w.db").path
        val keys = JcaKeyStore.ephemeral()
        runBlocking {
            Wallet.open(path, keys, OpenOptions()).closeWallet()
            val e = assertFailsWith<WalletException.KeyStore> { Wallet.open(path, ThrowingKeyStore(keys), OpenOptions()) }
            assertFalse(e.toString().contains("daemon"), "host exception text must not leak: $e")
        }
    },
)

/** All suites; `--forced-panics` runs only [panicTests] (a JVM of its own, fault points armed). */
fun main(args: Array<String>) {
    val tests = if ("--forced-panics" in args) panicTests else walletTests + credentialTests + onlineTests + faceTests + mdlTests + wrapperTests
    var failed = 0
    for ((name, test) in tests) {
        try {
            test()
            println("ok     $name")
        } catch (e: Throwable) {
            failed++
            println("FAILED $name: $e")
            e.printStackTrace()
        }
    }
    println("kotlin: ${tests.size - failed} passed, $failed failed")
    if (failed > 0) kotlin.system.exitProcess(1)
}
