// The face gate as an app developer meets it: models loaded once from "assets" (with
// progress); the holder enrols through a liveness session matched against the issuer's
// reference portrait; the eID discloses nothing until the face unlocks it; another person,
// a still photo and a frozen feed never enrol or unlock, and failures lock out with the
// seconds to wait. A JVM has no camera: SyntheticCamera re-renders a second photo of the
// citizen as a moving head (SYNTHETIC frames, for tests only).
package org.idwallet.test

import java.io.File
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import org.idwallet.*

internal val modelsDir = File(System.getenv("IDWALLET_MODELS") ?: error("IDWALLET_MODELS must name the models directory"))
internal fun photo(name: String) = File(modelsDir, "photos/$name.jpg").readBytes()

private val loadSteps = mutableListOf<Pair<UInt, UInt>>()

internal val faceModels: FaceModels by lazy {
    runBlocking {
        FaceModels.load(
            File(modelsDir, "face_detection_yunet_2023mar.nnef.tar").readBytes(),
            File(modelsDir, "face_recognition_sface_2021dec.nnef.tar").readBytes(),
            object : ProgressListener {
                override fun onProgress(done: UInt, total: UInt) { synchronized(loadSteps) { loadSteps += done to total } }
            },
            File(modelsDir, "iris_landmark.nnef.tar").readBytes(),
        )
    }
}

/**
 * Feed [session] frames from a SyntheticCamera of [photo] until it ends, as an app feeds
 * camera frames: returns the last progress, or throws the session's WalletException.
 */
internal suspend fun playSession(
    session: FaceSession,
    photo: ByteArray,
    act: SyntheticAct = SyntheticAct.GENUINE,
    onStep: (UnlockProgress) -> Unit = {},
): UnlockProgress {
    val camera = SyntheticCamera.create(faceModels, photo, act)
    var last: UnlockProgress? = null
    var at = 0uL
    for (n in 1..300) {
        // 10 frames a second, 20 while the screen shows colours (a phone's preview runs at 30).
        at += if (last is UnlockProgress.ShowColour) 50uL else 100uL
        val step = session.feed(camera.nextFrame(last), at)
        onStep(step)
        if (step is UnlockProgress.Unlocked) return step
        last = step
    }
    error("the session did not end in 300 frames")
}

/**
 * Enrol the holder of synthetic citizen [citizen] with their live face (which unlocks).
 * Sessions here ask for random movements, so the tests use citizens whose synthetic live
 * photo follows every movement (person_b_1: citizens 1, 4, 7…; docs/liveness.md).
 */
internal suspend fun enrolHolder(wallet: Wallet, citizen: UInt): UnlockProgress.Unlocked =
    playSession(wallet.startFaceEnrolment(faceModels), photo(syntheticFace(citizen).livePhoto)) as UnlockProgress.Unlocked

private fun newWallet(keys: KeyStore = JcaKeyStore.ephemeral()): Wallet = runBlocking {
    Wallet.open(File(Files.createTempDirectory("idwallet-face").toFile(), "w.db").path, keys, OpenOptions())
}

/** A key store whose key signs only after an explicit authenticate(), as an auth-bound key does. */
private class AuthBoundKeyStore(private val inner: JcaKeyStore) : KeyStore by inner {
    @Volatile var authenticated = false
    override fun sign(message: ByteArray): ByteArray {
        if (!authenticated) throw KeyStoreException.AuthenticationRequired()
        authenticated = false
        return inner.sign(message)
    }
    override fun requiresUserAuthentication() = true
}

val faceTests = linkedMapOf<String, () -> Unit>(
    "the eID is locked until the holder's live face unlocks it, and locks again" to {
        runBlocking {
            val issuer = SyntheticIssuer("Test Public Security Bureau")
            val wallet = newWallet()
            issuer.issueCitizen(wallet, 1u, 86_400, photo(syntheticFace(1u).idPhoto))
            assertEquals(listOf(0u to 3u, 1u to 3u, 2u to 3u, 3u to 3u), synchronized(loadSteps) { loadSteps.toList() })
            assertFalse(wallet.isFaceEnrolled())
            assertFailsWith<WalletException.NotEnrolled> { wallet.startFaceUnlock(faceModels) }
            // Locked: nothing is disclosed, and the refusal is in the activity log.
            val locked = assertFailsWith<WalletException.FaceCheckRequired> { wallet.present(DocumentKind.RESIDENT_ID_CARD, "police") }
            assertTrue(locked.toString().contains("unlock it with your face"), locked.toString())
            val refusal = wallet.activity(1u)[0]
            assertEquals(ActivityKind.PRESENTED to "police", refusal.kind to refusal.counterparty)
            assertTrue(refusal.outcome is Outcome.Failure)

            // Enrolment shows the screen-colour challenge: six different opaque colours.
            val colours = mutableListOf<Int>()
            val enrolled = playSession(wallet.startFaceEnrolment(faceModels), photo(syntheticFace(1u).livePhoto)) {
                if (it is UnlockProgress.ShowColour) colours += it.argb
            } as UnlockProgress.Unlocked
            assertEquals(6, colours.distinct().size, colours.toString())
            assertTrue(colours.all { it ushr 24 == 0xFF }, colours.toString())
            assertTrue(enrolled.similarity >= 0.40f, "${enrolled.similarity}")
            assertTrue(wallet.isFaceEnrolled())
            assertTrue(wallet.present(DocumentKind.RESIDENT_ID_CARD, "hotel").text.startsWith("IDW1"))
            wallet.lock()
            assertEquals(null, wallet.unlockedUntil())
            assertFailsWith<WalletException.FaceCheckRequired> { wallet.present(DocumentKind.RESIDENT_ID_CARD, "hotel") }
            // A plain unlock shows no colours (the policy's choice); a report's check does.
            var shown = 0
            val unlocked = playSession(wallet.startFaceUnlock(faceModels), photo(syntheticFace(1u).livePhoto)) {
                if (it is UnlockProgress.ShowColour) shown++
            }
            assertTrue(unlocked is UnlockProgress.Unlocked && unlocked.until > 0)
            assertEquals(0, shown)
            val checked = playSession(wallet.startReportFaceCheck(faceModels), photo(syntheticFace(1u).livePhoto)) {
                if (it is UnlockProgress.ShowColour) shown++
            }
            assertTrue(checked is UnlockProgress.Unlocked && shown >= 6, "$shown colour steps")
            // The holder closes the screen mid-session: counted and logged as a failed attempt,
            // and the session is over.
            val abandoned = wallet.startFaceUnlock(faceModels)
            abandoned.cancel()
            val counted = wallet.activity(1u)[0]
            assertEquals(ActivityKind.UNLOCK, counted.kind)
            assertTrue((counted.outcome as Outcome.Failure).reason.contains("abandoned"), counted.toString())
            assertFailsWith<WalletException.SessionEnded> {
                abandoned.feed(CameraFrame.Encoded(photo(syntheticFace(1u).livePhoto)), 0uL)
            }
            assertTrue(wallet.present(DocumentKind.RESIDENT_ID_CARD, "police").text.startsWith("IDW1"))
            // The windows are the app's to tighten, never to switch off.
            val policy = wallet.disclosurePolicy()
            assertEquals(60L, policy.windows["police"])
            assertFailsWith<WalletException.InvalidInput> { wallet.setDisclosurePolicy(policy.copy(defaultSecs = 0)) }
            wallet.closeWallet()
        }
    },
    "another person, a still photo and a frozen feed never enrol; failures lock out with the seconds to wait" to {
        runBlocking {
            val issuer = SyntheticIssuer("Test Public Security Bureau")
            val wallet = newWallet()
            // Documents without a real face: no reference portrait, nothing to enrol against.
            val bare = newWallet()
            issuer.issueCitizen(bare, 2u, 86_400)
            assertFailsWith<WalletException.NoReferencePortrait> { bare.startFaceEnrolment(faceModels) }

            issuer.issueCitizen(wallet, 1u, 86_400, photo(syntheticFace(1u).idPhoto))
            val stranger = assertFailsWith<WalletException.FaceMismatch> {
                playSession(wallet.startFaceEnrolment(faceModels), photo("impostor_2"))
            }
            assertTrue(stranger.similarity < 0.40f && stranger.retryAfterSecs == null, "$stranger")
            val still = assertFailsWith<WalletException.LivenessFailed> {
                playSession(wallet.startFaceEnrolment(faceModels), photo(syntheticFace(1u).livePhoto), SyntheticAct.STILL_PRINT)
            }
            assertEquals(null, still.retryAfterSecs)
            // The third failure locks out: the exception carries the countdown.
            val frozen = assertFailsWith<WalletException.LivenessFailed> {
                playSession(wallet.startFaceEnrolment(faceModels), photo(syntheticFace(1u).livePhoto), SyntheticAct.FROZEN)
            }
            assertEquals(30L, frozen.retryAfterSecs)
            val out = assertFailsWith<WalletException.LockedOut> { wallet.startFaceEnrolment(faceModels) }
            assertTrue(out.retryAfterSecs in 1L..30L, "${out.retryAfterSecs}")
            val refused = assertFailsWith<WalletException.LockedOut> { wallet.present(DocumentKind.RESIDENT_ID_CARD, "hotel") }
            assertTrue(refused.retryAfterSecs > 0)
            assertFalse(wallet.isFaceEnrolled())
            assertEquals(List(3) { ActivityKind.FACE_ENROLLED }, wallet.activity(4u).drop(1).map { it.kind })
            wallet.closeWallet()
        }
    },
    "replacing or removing the face needs a recent unlock, and another face is refused even then" to {
        runBlocking {
            val issuer = SyntheticIssuer("Test Public Security Bureau")
            val wallet = newWallet()
            issuer.issueCitizen(wallet, 4u, 86_400, photo(syntheticFace(4u).idPhoto))
            enrolHolder(wallet, 4u)
            // Unlocked phone, someone else's live face: not the reference portrait's face.
            assertFailsWith<WalletException.FaceMismatch> { playSession(wallet.startFaceEnrolment(faceModels), photo("impostor_2")) }
            assertTrue(wallet.isFaceEnrolled())
            wallet.lock()
            assertFailsWith<WalletException.FaceCheckRequired> { wallet.startFaceEnrolment(faceModels) }
            assertFailsWith<WalletException.FaceCheckRequired> { wallet.unenrolFace() }
            playSession(wallet.startFaceUnlock(faceModels), photo(syntheticFace(4u).livePhoto))
            assertTrue(wallet.unenrolFace())
            assertFalse(wallet.isFaceEnrolled())
            wallet.closeWallet()
        }
    },
    "with the platform-authentication policy, each disclosure needs the fingerprint too" to {
        runBlocking {
            val issuer = SyntheticIssuer("Test Public Security Bureau")
            // JcaKeyStore.ephemeral() gates nothing and says so: every disclosure is refused.
            val plain = newWallet()
            issuer.issueCitizen(plain, 1u, 86_400, photo(syntheticFace(1u).idPhoto))
            enrolHolder(plain, 1u)
            plain.setDisclosurePolicy(plain.disclosurePolicy().copy(requireUserAuthentication = true))
            assertFailsWith<WalletException.UserAuthenticationUnavailable> { plain.present(DocumentKind.RESIDENT_ID_CARD, "hotel") }

            val keys = AuthBoundKeyStore(JcaKeyStore.ephemeral())
            val bound = newWallet(keys)
            issuer.issueCitizen(bound, 1u, 86_400, photo(syntheticFace(1u).idPhoto))
            enrolHolder(bound, 1u)
            bound.setDisclosurePolicy(bound.disclosurePolicy().copy(requireUserAuthentication = true))
            assertFailsWith<WalletException.KeyStore> { bound.present(DocumentKind.RESIDENT_ID_CARD, "hotel") }
            keys.authenticated = true // BiometricPrompt / LocalAuthentication succeeded
            assertTrue(bound.present(DocumentKind.RESIDENT_ID_CARD, "hotel").text.startsWith("IDW1"))
            plain.closeWallet()
            bound.closeWallet()
        }
    },
    "cancelling a model load stops it at the next model" to {
        runBlocking {
            val heard = java.util.Collections.synchronizedList(mutableListOf<UInt>())
            val started = kotlinx.coroutines.CompletableDeferred<Unit>()
            val listener = object : ProgressListener {
                override fun onProgress(done: UInt, total: UInt) { heard += done; started.complete(Unit) }
            }
            val job = launch(kotlinx.coroutines.Dispatchers.Default) {
                FaceModels.load(
                    File(modelsDir, "face_detection_yunet_2023mar.nnef.tar").readBytes(),
                    File(modelsDir, "face_recognition_sface_2021dec.nnef.tar").readBytes(),
                    listener,
                    File(modelsDir, "iris_landmark.nnef.tar").readBytes(),
                )
            }
            started.await()
            job.cancelAndJoin()
            // A whole load takes about a second: one left running would have reported 1, 2, 3.
            kotlinx.coroutines.delay(3_000)
            assertEquals(listOf(0u), heard.toList())
        }
    },
    "comparing two photos gives the similarity and the decision" to {
        runBlocking {
            val same = faceModels.compare(photo("person_b_1"), photo("person_b_2"))
            assertTrue(same.samePerson && same.similarity > same.threshold)
            val other = faceModels.compare(photo("person_b_1"), photo("impostor_2"))
            assertFalse(other.samePerson)
            assertNotNull(assertFailsWith<FaceException.BadModel> { FaceModels.load(ByteArray(10), ByteArray(10)) }.message)
            // What is wrong with a photo arrives as a field the UI can branch on.
            val grey = java.io.ByteArrayOutputStream().also {
                javax.imageio.ImageIO.write(java.awt.image.BufferedImage(320, 240, java.awt.image.BufferedImage.TYPE_BYTE_GRAY), "png", it)
            }.toByteArray()
            val noFace = assertFailsWith<FaceException.NotUsable> { faceModels.compare(grey, photo("person_b_1")) }
            assertEquals(FaceProblem.NO_FACE, noFace.problem)
            val garbage = assertFailsWith<FaceException.NotUsable> { faceModels.compare(ByteArray(10), photo("person_b_1")) }
            assertEquals(FaceProblem.UNREADABLE, garbage.problem)
        }
    },
)
