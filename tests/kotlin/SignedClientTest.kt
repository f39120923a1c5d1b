// An app talking to the real reference server over loopback, as a phone would: register
// with an activation code, refresh documents, fetch scores and benefits, verify as staff
// from the synced lists, keep working offline, and cancel a request that hangs.
package org.idwallet.test

import java.io.File
import java.net.ServerSocket
import java.nio.file.Files
import java.util.Base64
import java.util.concurrent.ArrayBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.idwallet.*

/** `idwallet-server` in a child process on a free port, with a fresh data directory. */
class ReferenceServer : AutoCloseable {
    private val dir: File = Files.createTempDirectory("idwallet-server").toFile()
    private val process: Process
    val url: String
    val key: ByteArray

    init {
        val bin = System.getenv("IDWALLET_SERVER") ?: error("IDWALLET_SERVER must name the idwallet-server binary")
        val photos = File(modelsDir, "photos").path
        process = ProcessBuilder(bin, "--data", dir.path, "--listen", "127.0.0.1:0", "--citizens", "4", "--photos", photos)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start()
        val lines = process.inputStream.bufferedReader()
        val said = generateSequence { lines.readLine() }.take(3).associate { it.substringBefore(": ") to it.substringAfter(": ") }
        url = said.getValue("listening")
        key = Base64.getUrlDecoder().decode(said.getValue("server-key"))
    }

    fun activationCode(citizen: Int): String =
        File(dir, "activation-codes.txt").readLines().first { it.startsWith("$citizen ") }.substringAfter(" ")

    override fun close() {
        process.destroy()
        process.waitFor()
    }
}

private fun newWallet(): Wallet = runBlocking {
    Wallet.open(File(Files.createTempDirectory("idwallet-phone").toFile(), "w.db").path, JcaKeyStore.ephemeral(), OpenOptions())
}

val onlineTests = linkedMapOf<String, () -> Unit>(
    "a phone registers, refreshes its documents and fetches verified scores" to {
        ReferenceServer().use { server ->
            val wallet = newWallet()
            runBlocking {
                val service = wallet.register(server.url, server.key, server.activationCode(1))
                assertTrue(service.deviceId.startsWith("dev-"))
                // (ByteArray fields compare by reference in Kotlin data classes.)
                assertEquals(service.deviceId, wallet.service()?.deviceId)
                assertTrue(server.key.contentEquals(wallet.service()!!.serverKey))

                val docs = wallet.refreshDocuments()
                assertEquals(DocumentKind.entries.toList(), docs.map { it.kind })
                assertTrue(docs.all { it.expiresAt > it.issuedAt })

                val sesame = wallet.fetchScore("sesame")
                assertEquals(350 to 950, sesame.min to sesame.max)
                assertTrue(sesame.value in 350..950)
                assertEquals(listOf("credit_history", "behavioural_preference", "fulfilment_capability", "personal_attributes", "social_network"), sesame.factors.map { it.id })
                assertEquals(12, sesame.history.size)
                assertFalse(sesame.fromCache)
                assertTrue(sesame.benefits.all { sesame.value >= it.minScore })
                sesame.nextBenefit?.let { assertEquals(it.minScore - sesame.value, sesame.pointsToNext) }
                val paypoint = wallet.fetchScore("paypoint")
                assertEquals(paypoint.benefits.map { it.id }, wallet.benefits("paypoint").map { it.id })
                assertFailsWith<WalletException.InvalidInput> { wallet.fetchScore("nosuch") }

                // The issuer's reference portrait came with the documents: the holder enrols
                // against it (which unlocks), then shows a hotel their code.
                enrolHolder(wallet, 1u)
                // The same app as hotel staff, offline from the lists it synced.
                val hotel = Verifier.fromWallet(wallet, "hotel")
                val seen = hotel.verifyText(wallet.present(DocumentKind.RESIDENT_ID_CARD, "hotel").text)
                assertEquals(StatusCheck.Valid, seen.status)
                assertEquals(listOf("name", "id_number"), seen.claims.map { it.id })
                assertEquals(listOf(ActivityKind.VERIFIED, ActivityKind.PRESENTED, ActivityKind.FACE_ENROLLED), wallet.activity(3u).map { it.kind })
            }
        }
    },
    "a used activation code is refused with its reason, and an unregistered wallet says so" to {
        ReferenceServer().use { server ->
            runBlocking {
                val code = server.activationCode(2)
                newWallet().register(server.url, server.key, code)
                val e = assertFailsWith<WalletException.Rejected> { newWallet().register(server.url, server.key, code) }
                assertEquals(ErrorCode.INVALID_ACTIVATION_CODE, e.code)
                assertTrue(e.toString().startsWith("invalid_activation_code: "), e.toString())
                assertFailsWith<WalletException.NotRegistered> { newWallet().fetchScore("sesame") }
                assertFailsWith<WalletException.InvalidInput> { newWallet().register(server.url, ByteArray(65), code) }
            }
        }
    },
    "a forged server key makes every answer untrusted" to {
        ReferenceServer().use { server ->
            runBlocking {
                val forged = JcaKeyStore.ephemeral().devicePublicKey()
                assertFailsWith<WalletException.Untrusted> { newWallet().register(server.url, forged, server.activationCode(3)) }
            }
        }
    },
    "offline, the last verified score is shown and flagged" to {
        val wallet = newWallet()
        val server = ReferenceServer()
        val live = runBlocking {
            wallet.register(server.url, server.key, server.activationCode(4))
            wallet.fetchScore("sesame")
        }
        server.close()
        runBlocking {
            val cached = wallet.fetchScore("sesame")
            assertTrue(cached.fromCache)
            assertEquals(live.value to live.fetchedAt, cached.value to cached.fetchedAt)
            assertNotNull(wallet.cachedScore("sesame"))
            assertFailsWith<WalletException.Offline> { wallet.refreshDocuments() }
        }
    },
    "a visa report needs a fresh face check; a consulate refuses what does not verify" to {
        ReferenceServer().use { server ->
            val wallet = newWallet()
            runBlocking {
                wallet.register(server.url, server.key, server.activationCode(3))
                wallet.refreshDocuments()
                // The pickers' values are the library's enums, not strings copied into the app.
                assertEquals(5, Education.entries.size)
                assertEquals(5, IncomeBand.entries.size)
                val info = Supplementary(
                    education = Education.MASTER, employer = "Example Co.", occupation = "engineer", incomeBand = IncomeBand.entries[2],
                    assets = listOf("car"), phone = "+86 138 0000 0000", email = "a@example.com", destination = "FR",
                )
                assertFailsWith<WalletException.FaceCheckRequired> { wallet.requestVisaReport("sesame", info) }
                assertFailsWith<WalletException.InvalidInput> { wallet.requestVisaReport("sesame", info.copy(employer = "")) }
                assertFailsWith<WalletException.InvalidInput> { wallet.requestVisaReport("sesame", info.copy(email = "nobody")) }
                assertEquals(emptyList(), wallet.visaReports())
            }
            val trust = SyntheticIssuer("Test Public Security Bureau").trustList()
            runBlocking {
                assertFailsWith<ReportException.Unreadable> { verifyVisaReport("IDR1:ABC".toByteArray(), trust) }
                assertFailsWith<ReportException.Unreadable> { verifyVisaReport("%PDF-1.7 not really".toByteArray(), trust) }
                assertFailsWith<ReportException.BadTrustList> { verifyVisaReport("IDR1:ABC".toByteArray(), ByteArray(3)) }
            }
        }
    },
    "cancelling the coroutine aborts the request in Rust: its connection closes at once" to {
        // A server that reads the request and never answers. When the Rust side drops the
        // request, its connection closes and the read here ends; if Rust ran on to its own
        // 15 s timeout, the connection would stay open and this test would fail.
        ServerSocket(0).use { silent ->
            val closedAt = ArrayBlockingQueue<Long>(1)
            thread(isDaemon = true) {
                runCatching {
                    silent.accept().use { socket ->
                        val input = socket.getInputStream()
                        val buffer = ByteArray(4096)
                        while (input.read(buffer) >= 0) { /* the request, then nothing */ }
                        closedAt.offer(System.nanoTime())
                    }
                }
            }
            assertFailsWith<TimeoutCancellationException> {
                runBlocking {
                    withTimeout(300) {
                        newWallet().register("http://127.0.0.1:${silent.localPort}", JcaKeyStore.ephemeral().devicePublicKey(), "CODE")
                    }
                }
            }
            val cancelledAt = System.nanoTime()
            val closed = closedAt.poll(3, TimeUnit.SECONDS)
            assertNotNull(closed, "the Rust request still held its connection 3 s after the coroutine was cancelled")
            assertTrue((closed - cancelledAt) / 1_000_000 < 3_000)
        }
    },
)
