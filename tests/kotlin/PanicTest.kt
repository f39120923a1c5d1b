// A bug inside the Rust core must reach the app as an exception it can catch, never kill
// the process. Run in a JVM of its own with IDWALLET_FAILPOINTS arming core's fault points
// (tests/run.sh does); each point panics once, so the retry proves the library, the wallet
// and the runtime's threads all survived.
package org.idwallet.test

import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertTrue
import kotlinx.coroutines.runBlocking
import org.idwallet.*

val panicTests = linkedMapOf<String, () -> Unit>(
    "a panic in a core call on the blocking pool is an InternalException; the wallet keeps working" to {
        runBlocking {
            val wallet = holderWallet(SyntheticIssuer("Test Public Security Bureau"), 7u)
            val e = assertFailsWith<InternalException> { wallet.documentKinds() }
            assertTrue(e.message!!.contains("forced by the test"), "panic message: ${e.message}")
            assertEquals(DocumentKind.entries.toList(), wallet.documentKinds())
        }
    },
    "a panic on the runtime's worker thread fails the suspend call; the next call succeeds" to {
        val wallet = holderWallet(SyntheticIssuer("Test Public Security Bureau"), 10u)
        runBlocking {
            assertFailsWith<InternalException> { wallet.present(DocumentKind.RESIDENT_ID_CARD, "hotel") }
            assertTrue(wallet.present(DocumentKind.RESIDENT_ID_CARD, "hotel").text.startsWith("IDW1"))
        }
    },
)
