// The driving licence as an ISO 18013-5 mDL through the bindings: the holder's phone and a
// police reader, two objects joined here by channels as an app's BLE link would join them;
// consent under the reader's policy, the face gate, and a reader's refusals.
package org.idwallet.test

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.async
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.runBlocking
import org.idwallet.*

/** One road check: the reader's request travels to the phone and the answer back. */
private suspend fun roadCheck(
    holder: MdlHolderSession,
    reader: MdlReader,
    wanted: List<MdlWanted> = mdlRoadCheck(),
    choose: (MdlConsentRequest) -> List<MdlElementId> = { c -> c.elements.filter { it.allowed }.map { it.id } },
): MdlVerdict = coroutineScope {
    val toPhone = Channel<ByteArray>(1)
    val toReader = Channel<ByteArray>(1)
    val phone = async {
        val consent = holder.receiveRequest(toPhone.receive())
        toReader.send(holder.approve(choose(consent)))
    }
    toPhone.send(reader.request(wanted))
    val answer = toReader.receive()
    phone.await()
    reader.receive(answer, null)
}

val mdlTests = linkedMapOf<String, () -> Unit>(
    "a police reader verifies the licence mDL over a channel, and only after a face unlock" to {
        runBlocking {
            val issuer = SyntheticIssuer("Test Public Security Bureau")
            val wallet = holderWallet(issuer, 1u)
            val roots = mdlIacaRoots(issuer.trustList())
            assertEquals(1, roots.size)

            val holder = MdlHolderSession(wallet, MdlAudience.POLICE)
            assertTrue(holder.engagementUri().startsWith("mdoc:"))
            assertEquals(16, holder.bleServiceUuid()!!.size)
            val qr = javax.imageio.ImageIO.read(holder.engagementQrPng().inputStream())
            assertTrue(qr.width == qr.height && qr.width > 100, "a square QR picture: ${qr.width}x${qr.height}")
            val verdict = roadCheck(holder, MdlReader(holder.engagementUri(), roots))
            val doc = verdict.documents.single()
            assertEquals("org.iso.18013.5.1.mDL", doc.docType)
            assertEquals(mdlRoadCheck().map { it.id }.toSet(), doc.elements.map { it.id }.toSet())
            val number = doc.elements.first { it.id.element == "document_number" }.value as MdlValue.Text
            assertEquals(18, number.value.length, "a Chinese licence number is the holder's ID number")
            val portrait = doc.elements.first { it.id.element == "portrait" }.value as MdlValue.Bytes
            assertEquals(0xff.toByte() to 0xd8.toByte(), portrait.value[0] to portrait.value[1])
            assertTrue(doc.elements.first { it.id.element == "birth_date" }.value is MdlValue.Date)
            assertTrue(verdict.notReturned.isEmpty())
            assertEquals(ActivityKind.PRESENTED, wallet.activity(1u)[0].kind)

            // Locked: the same request gets nothing.
            wallet.lock()
            val locked = MdlHolderSession(wallet, MdlAudience.POLICE)
            assertFailsWith<WalletException.FaceCheckRequired> { roadCheck(locked, MdlReader(locked.engagementUri(), roots)) }
        }
    },
    "an age check gets only age and portrait; a forbidden element cannot be approved" to {
        runBlocking {
            val issuer = SyntheticIssuer("Test Public Security Bureau")
            val wallet = holderWallet(issuer, 4u)
            val roots = mdlIacaRoots(issuer.trustList())
            val holder = MdlHolderSession(wallet, MdlAudience.AGE_CHECK)
            val over18 = MdlWanted(MdlElementId("org.iso.18013.5.1", "age_over_18"), false)
            val verdict = roadCheck(holder, MdlReader(holder.engagementUri(), roots), mdlRoadCheck() + over18)
            assertEquals(setOf("portrait", "age_over_18"), verdict.documents.single().elements.map { it.id.element }.toSet())
            assertTrue(verdict.notReturned.any { it.element == "document_number" })

            val greedy = MdlHolderSession(wallet, MdlAudience.AGE_CHECK)
            assertFailsWith<WalletException.InvalidInput> {
                roadCheck(greedy, MdlReader(greedy.engagementUri(), roots)) { c -> c.elements.map { it.id } }
            }
        }
    },
    "a reader refuses another issuer's licence, a declined session, and a garbage engagement" to {
        runBlocking {
            val issuer = SyntheticIssuer("Test Public Security Bureau")
            val wallet = holderWallet(issuer, 7u)
            val stranger = mdlIacaRoots(SyntheticIssuer("Another Bureau").trustList())
            val holder = MdlHolderSession(wallet, MdlAudience.POLICE)
            assertFailsWith<MdlException.UntrustedIssuer> { roadCheck(holder, MdlReader(holder.engagementUri(), stranger)) }

            val declining = MdlHolderSession(wallet, MdlAudience.POLICE)
            val reader = MdlReader(declining.engagementUri(), mdlIacaRoots(issuer.trustList()))
            declining.receiveRequest(reader.request(mdlRoadCheck()))
            assertFailsWith<MdlException.Declined> { reader.receive(declining.decline(), null) }
            assertFailsWith<MdlException.Malformed> { MdlReader("mdoc:AAAA", emptyList()) }
            // A root that is not a certificate fails when the reader is made, not at the road check.
            assertFailsWith<MdlException.Malformed> { MdlReader(declining.engagementUri(), listOf(byteArrayOf(1, 2))) }
        }
    },
)
