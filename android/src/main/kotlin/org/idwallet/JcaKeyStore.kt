// Idiomatic layer over the generated bindings: plain JVM (no Android API), so it compiles and
// is tested on the JVM in CI. Android-only code lives in org.idwallet.android.
package org.idwallet

import java.math.BigInteger
import java.security.KeyPairGenerator
import java.security.PrivateKey
import java.security.Signature
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import javax.crypto.AEADBadTagException
import javax.crypto.Cipher
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import javax.crypto.spec.GCMParameterSpec

/**
 * The device keys a [JcaKeyStore] uses. With Android Keystore ([org.idwallet.android.AndroidKeystore])
 * the private key and the wrapping key are handles: their material never enters the app.
 */
class DeviceKeys(val signingKey: PrivateKey, val publicKey: ECPublicKey, val wrappingKey: SecretKey)

/**
 * idwallet's [KeyStore] over any JCA provider: ES256 device signatures (converted from the
 * provider's DER to the raw `r‖s` idwallet expects) and AES-256-GCM key wrapping with a
 * provider-chosen IV (Android Keystore insists on choosing it).
 *
 * A key bound to user authentication that is used without it (Android Keystore's
 * `UserNotAuthenticatedException`: no BiometricPrompt success within the key's validity)
 * reaches idwallet as [KeyStoreException.AuthenticationRequired], which the disclosure
 * policy's `requireUserAuthentication` relies on. Any other exception the provider throws (a
 * cancelled authentication, a key invalidated by a new fingerprint) is a typed
 * [KeyStoreException.Unavailable]; the message is the exception's class only, so no
 * provider text can leak into logs.
 */
class JcaKeyStore(
    private val keys: DeviceKeys,
    private val userAuthentication: Boolean = false,
) : KeyStore {
    override fun devicePublicKey(): ByteArray {
        val w = keys.publicKey.w
        return byteArrayOf(4) + w.affineX.toFixed(32) + w.affineY.toFixed(32)
    }

    override fun sign(message: ByteArray): ByteArray = backend("sign") {
        val der = Signature.getInstance("SHA256withECDSA").run {
            initSign(keys.signingKey)
            update(message)
            sign()
        }
        derToRaw(der)
    }

    override fun wrapKey(key: ByteArray): ByteArray = backend("wrap") {
        val cipher = Cipher.getInstance(GCM).apply { init(Cipher.ENCRYPT_MODE, keys.wrappingKey) }
        cipher.iv + cipher.doFinal(key)
    }

    override fun unwrapKey(wrapped: ByteArray): ByteArray {
        if (wrapped.size < IV_BYTES + TAG_BYTES) throw KeyStoreException.UnwrapFailed()
        return backend("unwrap") {
            val cipher = Cipher.getInstance(GCM)
            cipher.init(Cipher.DECRYPT_MODE, keys.wrappingKey, GCMParameterSpec(TAG_BYTES * 8, wrapped, 0, IV_BYTES))
            try {
                cipher.doFinal(wrapped, IV_BYTES, wrapped.size - IV_BYTES)
            } catch (e: AEADBadTagException) {
                throw KeyStoreException.UnwrapFailed()
            }
        }
    }

    override fun requiresUserAuthentication() = userAuthentication

    companion object {
        private const val GCM = "AES/GCM/NoPadding"
        private const val IV_BYTES = 12
        private const val TAG_BYTES = 16

        /** Fresh keys from the default JCA provider, in memory: for tests and desktop tools. */
        fun ephemeral(): JcaKeyStore {
            val pair = KeyPairGenerator.getInstance("EC").apply { initialize(ECGenParameterSpec("secp256r1")) }.generateKeyPair()
            val aes = KeyGenerator.getInstance("AES").apply { init(256) }.generateKey()
            return JcaKeyStore(DeviceKeys(pair.private, pair.public as ECPublicKey, aes))
        }

        private inline fun <T> backend(what: String, body: () -> T): T = try {
            body()
        } catch (e: KeyStoreException) {
            throw e
        } catch (e: Exception) {
            // By name: the class exists only on Android, and this file is plain JVM.
            if (e.javaClass.name == "android.security.keystore.UserNotAuthenticatedException") {
                throw KeyStoreException.AuthenticationRequired()
            }
            throw KeyStoreException.Unavailable("$what failed: ${e.javaClass.simpleName}")
        }
    }
}

/** An ASN.1 DER ECDSA signature (SEQUENCE of two INTEGERs) as P-256 raw `r‖s`, 64 bytes. */
internal fun derToRaw(der: ByteArray): ByteArray {
    fun fail(): Nothing = throw KeyStoreException.Unavailable("the provider returned a malformed signature")
    var at = 0
    fun next(): Int = if (at < der.size) der[at++].toInt() and 0xff else fail()
    fun length(): Int = next().let { if (it == 0x81) next() else if (it < 0x80) it else fail() }
    fun integer(): ByteArray {
        if (next() != 0x02) fail()
        val n = length()
        if (n == 0 || at + n > der.size) fail()
        return der.copyOfRange(at, at + n).also { at += n }
    }
    if (next() != 0x30) fail()
    if (length() != der.size - at) fail()
    val r = BigInteger(1, integer())
    val s = BigInteger(1, integer())
    if (at != der.size || r.bitLength() > 256 || s.bitLength() > 256) fail()
    return r.toFixed(32) + s.toFixed(32)
}

private fun BigInteger.toFixed(size: Int): ByteArray = toByteArray().let { b ->
    when {
        b.size == size -> b
        b.size > size -> b.copyOfRange(b.size - size, b.size)
        else -> ByteArray(size - b.size) + b
    }
}
