// idwallet's KeyStore on Apple platforms: the device key is a Secure Enclave P-256 key (its
// private half never leaves the enclave); data keys are wrapped by ECIES to a second enclave
// key (ephemeral P-256 agreement, HKDF-SHA256, AES-256-GCM), because the enclave holds no
// AES keys. The keys' opaque handles are kept in the Keychain, this device only.
import CryptoKit
import LocalAuthentication
import Foundation
import Security

/// Where a key store keeps its keys' opaque handles (the Keychain in apps; memory in tests).
public protocol KeyBlobStorage: AnyObject, Sendable {
    func load(_ name: String) throws -> Data?
    func save(_ name: String, _ blob: Data) throws
}

/// The Keychain, readable only on this device once it has been unlocked after a restart.
public final class KeychainStorage: KeyBlobStorage, @unchecked Sendable {
    private let service: String
    public init(service: String = "org.idwallet") { self.service = service }

    public func load(_ name: String) throws -> Data? {
        var item: CFTypeRef?
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword, kSecAttrService as String: service,
            kSecAttrAccount as String: name, kSecReturnData as String: true,
        ]
        switch SecItemCopyMatching(query as CFDictionary, &item) {
        case errSecSuccess: return item as? Data
        case errSecItemNotFound: return nil
        case let status: throw KeyStoreError.Unavailable(reason: "keychain read failed (\(status))")
        }
    }

    public func save(_ name: String, _ blob: Data) throws {
        let item: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword, kSecAttrService as String: service,
            kSecAttrAccount as String: name, kSecValueData as String: blob,
            kSecAttrAccessible as String: kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly,
        ]
        let status = SecItemAdd(item as CFDictionary, nil)
        guard status == errSecSuccess else { throw KeyStoreError.Unavailable(reason: "keychain write failed (\(status))") }
    }
}

/// Keys in memory, for tests and previews.
public final class MemoryStorage: KeyBlobStorage, @unchecked Sendable {
    private var blobs: [String: Data] = [:]
    private let lock = NSLock()
    public init() {}
    public func load(_ name: String) throws -> Data? { lock.withLock { blobs[name] } }
    public func save(_ name: String, _ blob: Data) throws { lock.withLock { blobs[name] = blob } }
}

/// idwallet's `KeyStore` on the Secure Enclave, or — where there is none (the simulator, an
/// Intel Mac without T2) and `allowSoftwareFallback` is set — on CryptoKit keys in `storage`.
///
/// ```swift
/// let keys = try SecureEnclaveKeyStore(alias: "idwallet")
/// let wallet = try await Wallet.open(path: url.path, keyStore: keys, options: OpenOptions())
/// ```
public final class SecureEnclaveKeyStore: KeyStore, @unchecked Sendable {
    private enum Keys {
        case enclave(SecureEnclave.P256.Signing.PrivateKey, SecureEnclave.P256.KeyAgreement.PrivateKey)
        case software(P256.Signing.PrivateKey, P256.KeyAgreement.PrivateKey)
    }

    private let keys: Keys
    private let authentication: Bool
    private let lock = NSLock()
    /// The LocalAuthentication context of the last `authenticate` (Face ID / Touch ID or
    /// the passcode), which lets an auth-bound enclave key sign without prompting.
    private var context: LAContext?
    private static let info = Data("idwallet key wrap v1".utf8)

    /// The keys under `alias`, created on first use. With `userAuthentication`, every use of
    /// the enclave keys needs Face ID / Touch ID or the passcode.
    public init(alias: String, storage: KeyBlobStorage = KeychainStorage(), userAuthentication: Bool = false,
                allowSoftwareFallback: Bool = false) throws {
        authentication = userAuthentication
        let signName = "\(alias).device", wrapName = "\(alias).wrap"
        do {
            if SecureEnclave.isAvailable {
                var error: Unmanaged<CFError>?
                let flags: SecAccessControlCreateFlags = userAuthentication ? [.privateKeyUsage, .userPresence] : [.privateKeyUsage]
                guard let access = SecAccessControlCreateWithFlags(nil, kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly, flags, &error) else {
                    throw KeyStoreError.Unavailable(reason: "cannot create the access control")
                }
                let sign = try Self.loadOrCreate(signName, storage,
                    load: { try SecureEnclave.P256.Signing.PrivateKey(dataRepresentation: $0) },
                    create: { try SecureEnclave.P256.Signing.PrivateKey(accessControl: access) }, blob: { $0.dataRepresentation })
                let wrap = try Self.loadOrCreate(wrapName, storage,
                    load: { try SecureEnclave.P256.KeyAgreement.PrivateKey(dataRepresentation: $0) },
                    create: { try SecureEnclave.P256.KeyAgreement.PrivateKey(accessControl: access) }, blob: { $0.dataRepresentation })
                keys = .enclave(sign, wrap)
            } else if allowSoftwareFallback {
                let sign = try Self.loadOrCreate(signName, storage,
                    load: { try P256.Signing.PrivateKey(rawRepresentation: $0) },
                    create: { P256.Signing.PrivateKey() }, blob: { $0.rawRepresentation })
                let wrap = try Self.loadOrCreate(wrapName, storage,
                    load: { try P256.KeyAgreement.PrivateKey(rawRepresentation: $0) },
                    create: { P256.KeyAgreement.PrivateKey() }, blob: { $0.rawRepresentation })
                keys = .software(sign, wrap)
            } else {
                throw KeyStoreError.Unavailable(reason: "this device has no Secure Enclave")
            }
        } catch let error as KeyStoreError {
            throw error
        } catch {
            throw KeyStoreError.Unavailable(reason: "key creation failed: \(type(of: error))")
        }
    }

    private static func loadOrCreate<K>(_ name: String, _ storage: KeyBlobStorage, load: (Data) throws -> K,
                                        create: () throws -> K, blob: (K) -> Data) throws -> K {
        if let data = try storage.load(name) { return try load(data) }
        let key = try create()
        try storage.save(name, blob(key))
        return key
    }

    /// Uncompressed SEC1 point, 65 bytes.
    public func devicePublicKey() throws -> Data {
        switch keys {
        case let .enclave(sign, _): return sign.publicKey.x963Representation
        case let .software(sign, _): return sign.publicKey.x963Representation
        }
    }

    /// Ask for Face ID / Touch ID or the passcode now (the seeds' fingerprint, as a second
    /// factor beside the face check). An auth-bound key (`userAuthentication`) then signs
    /// for `reuseSeconds`; without it, `sign` throws `KeyStoreError.AuthenticationRequired`
    /// instead of prompting on idwallet's worker thread. Call it just before `present`.
    public func authenticate(reason: String, reuseSeconds: TimeInterval = 10) async throws {
        let context = LAContext()
        context.touchIDAuthenticationAllowableReuseDuration = reuseSeconds
        do {
            _ = try await context.evaluatePolicy(.deviceOwnerAuthentication, localizedReason: reason)
        } catch {
            throw KeyStoreError.AuthenticationRequired
        }
        lock.withLock { self.context = context }
    }

    /// ES256 over `message`, raw `r‖s` (64 bytes).
    public func sign(message: Data) throws -> Data {
        try backend("sign") {
            switch keys {
            case let .enclave(sign, _) where authentication:
                guard let context = lock.withLock({ self.context }) else { throw KeyStoreError.AuthenticationRequired }
                context.interactionNotAllowed = true
                let bound = try SecureEnclave.P256.Signing.PrivateKey(
                    dataRepresentation: sign.dataRepresentation, authenticationContext: context)
                return try bound.signature(for: message).rawRepresentation
            case let .enclave(sign, _): return try sign.signature(for: message).rawRepresentation
            case let .software(sign, _): return try sign.signature(for: message).rawRepresentation
            }
        }
    }

    /// `ephemeral public key (65) ‖ AES-GCM nonce ‖ ciphertext ‖ tag`.
    public func wrapKey(key: Data) throws -> Data {
        try backend("wrap") {
            let ephemeral = P256.KeyAgreement.PrivateKey()
            let recipient: P256.KeyAgreement.PublicKey
            switch keys {
            case let .enclave(_, wrap): recipient = wrap.publicKey
            case let .software(_, wrap): recipient = wrap.publicKey
            }
            let secret = try ephemeral.sharedSecretFromKeyAgreement(with: recipient)
            let sealed = try AES.GCM.seal(key, using: Self.symmetricKey(secret, ephemeral.publicKey))
            guard let combined = sealed.combined else { throw KeyStoreError.Unavailable(reason: "sealing failed") }
            return ephemeral.publicKey.x963Representation + combined
        }
    }

    public func unwrapKey(wrapped: Data) throws -> Data {
        guard wrapped.count > 65 + 12 + 16, let ephemeral = try? P256.KeyAgreement.PublicKey(x963Representation: wrapped.prefix(65)),
              let box = try? AES.GCM.SealedBox(combined: wrapped.dropFirst(65)) else { throw KeyStoreError.UnwrapFailed }
        let secret = try backend("unwrap") { () -> SharedSecret in
            switch keys {
            case let .enclave(_, wrap): return try wrap.sharedSecretFromKeyAgreement(with: ephemeral)
            case let .software(_, wrap): return try wrap.sharedSecretFromKeyAgreement(with: ephemeral)
            }
        }
        do {
            return try AES.GCM.open(box, using: Self.symmetricKey(secret, ephemeral))
        } catch {
            throw KeyStoreError.UnwrapFailed
        }
    }

    public func requiresUserAuthentication() -> Bool { authentication }

    /// The wrapping key, bound to the ephemeral public key so a swapped point cannot be reused.
    private static func symmetricKey(_ secret: SharedSecret, _ ephemeral: P256.KeyAgreement.PublicKey) -> SymmetricKey {
        secret.hkdfDerivedSymmetricKey(using: SHA256.self, salt: ephemeral.x963Representation, sharedInfo: info, outputByteCount: 32)
    }

    /// Platform errors become `KeyStoreError.Unavailable` naming only the error's type, so no
    /// system text reaches idwallet's logs.
    private func backend<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as KeyStoreError {
            throw error
        } catch {
            throw KeyStoreError.Unavailable(reason: "\(what) failed: \(type(of: error))")
        }
    }
}
