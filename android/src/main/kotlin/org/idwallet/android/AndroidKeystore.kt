// The only files that need the Android SDK: key generation in Android Keystore, and Logcat.
// Everything they hand to idwallet goes through the plain-JVM JcaKeyStore, tested on the JVM.
package org.idwallet.android

import android.os.Build
import android.security.keystore.KeyGenParameterSpec
import android.security.keystore.KeyProperties
import android.security.keystore.StrongBoxUnavailableException
import java.security.KeyPairGenerator
import java.security.PrivateKey
import java.security.interfaces.ECPublicKey
import java.security.spec.ECGenParameterSpec
import javax.crypto.KeyGenerator
import javax.crypto.SecretKey
import org.idwallet.DeviceKeys
import org.idwallet.JcaKeyStore
import org.idwallet.KeyStore

/**
 * idwallet's device key and wrapping key in Android Keystore: generated inside StrongBox
 * when the phone has one, in the TEE otherwise; the private material never leaves it.
 *
 * ```kotlin
 * val keys = AndroidKeystore.open("idwallet")            // once per app start
 * val wallet = Wallet.open(File(filesDir, "wallet.db").path, keys, OpenOptions())
 * ```
 */
object AndroidKeystore {
    private const val PROVIDER = "AndroidKeyStore"

    /**
     * The keys under [alias] (created on first use). With [userAuthentication], every use
     * needs the user's biometric or device credential within [authValiditySeconds].
     */
    fun open(alias: String, userAuthentication: Boolean = false, authValiditySeconds: Int = 30): KeyStore {
        val store = java.security.KeyStore.getInstance(PROVIDER).apply { load(null) }
        val signAlias = "$alias.device"
        val wrapAlias = "$alias.wrap"
        if (!store.containsAlias(signAlias)) {
            withStrongBoxFallback { strongBox -> generateSigningKey(signAlias, strongBox, userAuthentication, authValiditySeconds) }
        }
        if (!store.containsAlias(wrapAlias)) {
            withStrongBoxFallback { strongBox -> generateWrappingKey(wrapAlias, strongBox, userAuthentication, authValiditySeconds) }
        }
        val keys = DeviceKeys(
            signingKey = store.getKey(signAlias, null) as PrivateKey,
            publicKey = store.getCertificate(signAlias).publicKey as ECPublicKey,
            wrappingKey = store.getKey(wrapAlias, null) as SecretKey,
        )
        return JcaKeyStore(keys, userAuthentication)
    }

    /** Try StrongBox (API 28+), fall back to the TEE when the phone has none. */
    private fun withStrongBoxFallback(generate: (strongBox: Boolean) -> Unit) {
        if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) {
            try {
                return generate(true)
            } catch (e: StrongBoxUnavailableException) {
                // No secure element: the TEE below.
            }
        }
        generate(false)
    }

    private fun KeyGenParameterSpec.Builder.common(strongBox: Boolean, auth: Boolean, seconds: Int) = apply {
        if (strongBox && Build.VERSION.SDK_INT >= Build.VERSION_CODES.P) setIsStrongBoxBacked(true)
        if (auth) {
            setUserAuthenticationRequired(true)
            if (Build.VERSION.SDK_INT >= Build.VERSION_CODES.R) {
                setUserAuthenticationParameters(seconds, KeyProperties.AUTH_BIOMETRIC_STRONG or KeyProperties.AUTH_DEVICE_CREDENTIAL)
            } else {
                @Suppress("DEPRECATION")
                setUserAuthenticationValidityDurationSeconds(seconds)
            }
        }
    }

    private fun generateSigningKey(alias: String, strongBox: Boolean, auth: Boolean, seconds: Int) {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_SIGN)
            .setAlgorithmParameterSpec(ECGenParameterSpec("secp256r1"))
            .setDigests(KeyProperties.DIGEST_SHA256)
            .common(strongBox, auth, seconds)
            .build()
        KeyPairGenerator.getInstance(KeyProperties.KEY_ALGORITHM_EC, PROVIDER).apply { initialize(spec) }.generateKeyPair()
    }

    private fun generateWrappingKey(alias: String, strongBox: Boolean, auth: Boolean, seconds: Int) {
        val spec = KeyGenParameterSpec.Builder(alias, KeyProperties.PURPOSE_ENCRYPT or KeyProperties.PURPOSE_DECRYPT)
            .setKeySize(256)
            .setBlockModes(KeyProperties.BLOCK_MODE_GCM)
            .setEncryptionPaddings(KeyProperties.ENCRYPTION_PADDING_NONE)
            .setRandomizedEncryptionRequired(true)
            .common(strongBox, auth, seconds)
            .build()
        KeyGenerator.getInstance(KeyProperties.KEY_ALGORITHM_AES, PROVIDER).apply { init(spec) }.generateKey()
    }
}
