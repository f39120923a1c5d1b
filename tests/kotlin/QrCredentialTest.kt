// Hotel and police staff verify a holder's QR code, as the apps will: the holder wallet
// presents, a Verifier configured for an audience checks it offline from the text and from
// the PNG, and tampered, expired and revoked codes fail with the right exception.
package org.idwallet.test

import java.io.File
import java.nio.file.Files
import javax.imageio.ImageIO
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.idwallet.*

/** A holder wallet with [citizen]'s documents (and real face), enrolled and so unlocked. */
internal fun holderWallet(issuer: SyntheticIssuer, citizen: UInt, validSecs: Long = 86_400): Wallet = runBlocking {
    val dir = Files.createTempDirectory("idwallet-qr").toFile()
    val wallet = Wallet.open(File(dir, "holder.db").path, JcaKeyStore.ephemeral(), OpenOptions())
    issuer.issueCitizen(wallet, citizen, validSecs, photo(syntheticFace(citizen).idPhoto))
    enrolHolder(wallet, citizen)
    wallet
}

val credentialTests = linkedMapOf<String, () -> Unit>(
    "a hotel verifies the QR from text and PNG and sees only name, ID number and portrait" to {
        runBlocking {
            val issuer = SyntheticIssuer("Test Public Security Bureau")
            val wallet = holderWallet(issuer, 1u)
            assertEquals(DocumentKind.entries.toList(), wallet.documentKinds())
            val qr = runBlocking { wallet.present(DocumentKind.RESIDENT_ID_CARD, "hotel") }
            assertTrue(qr.text.startsWith("IDW1"))
            assertEquals(listOf("name", "id_number", "portrait"), qr.disclosed)

            val hotel = Verifier("hotel", issuer.trustList())
            hotel.addStatusList(issuer.statusList())
            val desk = runBlocking {
                Wallet.open(File(Files.createTempDirectory("idwallet-desk").toFile(), "desk.db").path, JcaKeyStore.ephemeral(), OpenOptions())
            }
            hotel.logTo(desk)
            val fromText = hotel.verifyText(qr.text)
            assertEquals(listOf("name", "id_number"), fromText.claims.map { it.id })
            assertEquals(18, fromText.claims.first { it.id == "id_number" }.value.length)
            assertEquals(StatusCheck.Valid, fromText.status)
            val portrait = ImageIO.read(fromText.portrait!!.inputStream())
            assertEquals(48 to 64, portrait.width to portrait.height)

            val modules = qrModules(qr.text)
            assertTrue(modules.version <= 25u, "hotel QR with portrait must fit version 25, got ${modules.version}")
            assertEquals(17u + 4u * modules.version, modules.size)
            assertEquals((modules.size * modules.size).toInt(), modules.dark.size)

            val fromPng = hotel.verifyImage(qr.png)
            assertEquals(fromText.claims, fromPng.claims)
            assertEquals(0u, fromPng.otherCodes, "one code in the picture")
            // A live scan: hints while no code is in view, then the verdict; the scan is over.
            val logged = desk.activity(100u).size
            val scanner = QrScanner(hotel)
            val black = java.io.ByteArrayOutputStream().also {
                ImageIO.write(java.awt.image.BufferedImage(320, 240, java.awt.image.BufferedImage.TYPE_BYTE_GRAY), "png", it)
            }.toByteArray()
            runBlocking {
                assertEquals(ScanStep.Searching(ScanHint.TOO_DARK), scanner.feed(CameraFrame.Encoded(black)))
                assertFailsWith<CredentialException.NoQrCode> { scanner.feed(CameraFrame.Encoded(ByteArray(4))) }
                val found = scanner.feed(CameraFrame.Encoded(qr.png)) as ScanStep.Found
                assertEquals(fromText.claims, found.presentation.claims)
                assertTrue(scanner.feed(CameraFrame.Encoded(black)) is ScanStep.Found, "the scan is over")
            }
            assertEquals(2u, scanner.frames())
            assertEquals(logged + 1, desk.activity(100u).size, "the scan's verdict is logged once")
            assertFailsWith<CredentialException.NotIdwallet> { hotel.verifyText("HC1:NOTOURS") }
            val deskLog = desk.activity(3u)
            assertEquals(listOf(ActivityKind.VERIFIED, ActivityKind.VERIFIED, ActivityKind.VERIFIED), deskLog.map { it.kind })
            assertTrue(deskLog[0].outcome is Outcome.Failure)
            assertEquals(listOf("hotel", "hotel"), deskLog.drop(1).map { it.counterparty })
            assertEquals(listOf("resident_id_card", "resident_id_card"), deskLog.drop(1).map { it.detail })
            assertEquals(ActivityKind.PRESENTED, wallet.activity(1u)[0].kind)
            assertEquals("hotel", wallet.activity(1u)[0].counterparty)
        }
    },
    "police see every field, and a hotel QR is not valid for them" to {
        runBlocking {
            val issuer = SyntheticIssuer("Test Public Security Bureau")
            val wallet = holderWallet(issuer, 4u)
            val police = Verifier("police", issuer.trustList())
            val seen = runBlocking { police.verifyText(wallet.present(DocumentKind.RESIDENT_ID_CARD, "police").text) }
            assertTrue(seen.claims.map { it.id }.containsAll(listOf("name", "sex", "birth_date", "address", "id_number")))
            assertTrue(seen.status is StatusCheck.Unknown, "no status list cached yet: unknown, not revoked")
            val hotelQr = runBlocking { wallet.present(DocumentKind.RESIDENT_ID_CARD, "hotel") }
            assertFailsWith<CredentialException.WrongAudience> { police.verifyText(hotelQr.text) }
            assertFailsWith<WalletException.NotPresentable> {
                runBlocking { wallet.present(DocumentKind.VEHICLE_REGISTRATION, "hotel") }
            }
        }
    },
    "tampered, expired, stale and revoked QR codes fail with typed exceptions" to {
        runBlocking {
            val issuer = SyntheticIssuer("Test Public Security Bureau")
            val wallet = holderWallet(issuer, 7u)
            val hotel = Verifier("hotel", issuer.trustList())
            val qr = runBlocking { wallet.present(DocumentKind.RESIDENT_ID_CARD, "hotel") }

            val chars = qr.text.toCharArray()
            val i = chars.size / 2
            chars[i] = if (chars[i] == 'A') 'B' else 'A'
            val tampered = assertFailsWith<CredentialException> { hotel.verifyText(String(chars)) }
            assertTrue(tampered is CredentialException.BadSignature || tampered is CredentialException.Malformed, tampered.toString())

            assertFailsWith<CredentialException.Stale> { hotel.verifyText(qr.text, at = qr.createdAt + 600) }

            val expiredWallet = holderWallet(issuer, 10u, validSecs = -60)
            val e = assertFailsWith<WalletException.NotPresentable> {
                runBlocking { expiredWallet.present(DocumentKind.RESIDENT_ID_CARD, "hotel") }
            }
            assertTrue(e.reason.contains("expired"), e.reason)
            val stillValid = runBlocking { holderWallet(issuer, 13u, validSecs = 120).present(DocumentKind.RESIDENT_ID_CARD, "hotel") }
            assertFailsWith<CredentialException.Expired> { hotel.verifyText(stillValid.text, at = stillValid.createdAt + 121) }

            issuer.revoke(7u, DocumentKind.RESIDENT_ID_CARD)
            hotel.addStatusList(issuer.statusList())
            val revoked = assertFailsWith<CredentialException.Revoked> { hotel.verifyText(qr.text) }
            assertEquals("the issuer revoked this credential", revoked.message)
            assertFailsWith<CredentialException.NotIdwallet> { hotel.verifyText("HC1:NOTOURS") }
            assertFailsWith<CredentialException.NoQrCode> { hotel.verifyImage(ByteArray(10)) }
        }
    },
)
