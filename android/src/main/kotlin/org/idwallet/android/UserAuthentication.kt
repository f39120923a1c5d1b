// The platform's user authentication (fingerprint or device credential) as a second factor
// beside the face check: BiometricPrompt opens an auth-bound Android Keystore key
// (AndroidKeystore.open(alias, userAuthentication = true)) for its validity window, and the
// next presentation's device signature proves it. Without it the key refuses
// (UserNotAuthenticatedException → KeyStoreException.AuthenticationRequired).
package org.idwallet.android

import androidx.biometric.BiometricManager.Authenticators.BIOMETRIC_STRONG
import androidx.biometric.BiometricManager.Authenticators.DEVICE_CREDENTIAL
import androidx.biometric.BiometricPrompt
import androidx.core.content.ContextCompat
import androidx.fragment.app.FragmentActivity
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException
import kotlinx.coroutines.suspendCancellableCoroutine
import org.idwallet.KeyStoreException

/**
 * Ask for the fingerprint (or the device PIN) now; returns once the user authenticated,
 * throws [KeyStoreException.AuthenticationRequired] if they did not. Call it just before
 * `wallet.present(…)` when the disclosure policy has `requireUserAuthentication`.
 */
suspend fun FragmentActivity.authenticateUser(title: String, subtitle: String? = null) {
    suspendCancellableCoroutine { done ->
        val prompt = BiometricPrompt(this, ContextCompat.getMainExecutor(this), object : BiometricPrompt.AuthenticationCallback() {
            override fun onAuthenticationSucceeded(result: BiometricPrompt.AuthenticationResult) = done.resume(Unit)
            override fun onAuthenticationError(code: Int, message: CharSequence) =
                done.resumeWithException(KeyStoreException.AuthenticationRequired())
        })
        val info = BiometricPrompt.PromptInfo.Builder()
            .setTitle(title)
            .apply { subtitle?.let(::setSubtitle) }
            .setAllowedAuthenticators(BIOMETRIC_STRONG or DEVICE_CREDENTIAL)
            .build()
        prompt.authenticate(info)
        done.invokeOnCancellation { prompt.cancelAuthentication() }
    }
}
