// What an iOS developer writes against IdWallet, run by `swift test` on a macOS host
// (.github/workflows/apple.yml): the Swift key store, a real wallet file, a hotel QR verified
// offline, typed errors, and the async/closure conveniences. Linux CI cannot build Swift;
// these run only where Xcode exists.
import CryptoKit
import Foundation
import XCTest
@testable import IdWallet

final class IdWalletTests: XCTestCase {
    private func tempPath(_ name: String) -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.appendingPathComponent(name).path
    }

    /// Keychain access needs an entitled app; tests keep the handles in memory. The enclave is
    /// used where the host has one (Apple silicon), CryptoKit keys otherwise.
    private func keyStore(_ storage: KeyBlobStorage = MemoryStorage()) throws -> SecureEnclaveKeyStore {
        try SecureEnclaveKeyStore(alias: "test", storage: storage, allowSoftwareFallback: true)
    }

    func testTheKeyStoreSignsES256RawAndVerifies() throws {
        let keys = try keyStore()
        let message = Data("GET /v1/scores/sesame".utf8)
        let signature = try keys.sign(message: message)
        XCTAssertEqual(signature.count, 64)
        let publicKey = try P256.Signing.PublicKey(x963Representation: keys.devicePublicKey())
        XCTAssertTrue(publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature), for: message))
        XCTAssertFalse(publicKey.isValidSignature(try P256.Signing.ECDSASignature(rawRepresentation: signature), for: Data("other".utf8)))
    }

    func testWrappedKeysUnwrapOnlyUnalteredAndOnlyHere() throws {
        let storage = MemoryStorage()
        let keys = try keyStore(storage)
        let secret = Data((0..<32).map { UInt8($0) })
        let wrapped = try keys.wrapKey(key: secret)
        XCTAssertEqual(try keys.unwrapKey(wrapped: wrapped), secret)
        XCTAssertEqual(try keyStore(storage).unwrapKey(wrapped: wrapped), secret, "the same keys after a restart")
        for i in stride(from: 0, to: wrapped.count, by: 9) {
            var bad = wrapped
            bad[i] ^= 1
            XCTAssertThrowsError(try keys.unwrapKey(wrapped: bad)) { XCTAssertEqual($0 as? KeyStoreError, .UnwrapFailed) }
        }
        XCTAssertThrowsError(try keyStore().unwrapKey(wrapped: wrapped)) { XCTAssertEqual($0 as? KeyStoreError, .UnwrapFailed) }
    }

    func testAWalletKeepsItemsAcrossReopenAndAnotherKeyStoreIsRefused() async throws {
        let path = tempPath("wallet.db")
        let storage = MemoryStorage()
        let wallet = try await Wallet.open(path: path, keyStore: keyStore(storage), options: OpenOptions())
        _ = try await wallet.putItem(key: "card", value: Data("GOLD-4711".utf8))
        try await wallet.closeWallet()
        let again = try await Wallet.open(path: path, keyStore: keyStore(storage), options: OpenOptions(createIfMissing: false))
        let card = try await again.item(key: "card")
        XCTAssertEqual(card.value, Data("GOLD-4711".utf8))
        do {
            _ = try await Wallet.open(path: path, keyStore: keyStore(), options: OpenOptions(createIfMissing: false))
            XCTFail("another key store opened the wallet")
        } catch WalletError.WrongKey {
        }
    }

    // SyntheticIssuer is in the `testing` build only (ADR 0010): run with the library built
    // `--features testing` and its bindings, and `-Xswiftc -DIDWALLET_TESTING`.
    #if IDWALLET_TESTING
    func testALockedEIdDisclosesNothingAndAStaffDeskRefusesForeignCodes() async throws {
        // The full enrol → unlock → present flow needs the face models and photos
        // (tests/kotlin/FaceTest.kt runs it on the JVM); here: locked means nothing leaves.
        let issuer = SyntheticIssuer(name: "Test Public Security Bureau")
        let wallet = try await Wallet.open(path: tempPath("holder.db"), keyStore: keyStore(), options: OpenOptions())
        try await issuer.issueCitizen(wallet: wallet, citizen: 3, validSecs: 86_400, idPhoto: nil)
        do {
            _ = try await wallet.present(kind: .residentIdCard, audience: "hotel")
            XCTFail("a locked eID presented")
        } catch WalletError.FaceCheckRequired {
        }
        let last = try await wallet.activity(limit: 1)
        XCTAssertEqual(last.first?.kind, .presented)
        try wallet.lock()
        XCTAssertNil(try wallet.unlockedUntil())
        let hotel = try Verifier(audience: "hotel", trustList: issuer.trustList())
        do {
            _ = try await hotel.verifyText(text: "HC1:NOTOURS")
            XCTFail("a foreign code verified")
        } catch CredentialError.NotIdwallet {
        }
    }
    #endif

    func testModelLoadingReportsTypedErrorsThroughTheClosureApi() async throws {
        do {
            _ = try await FaceModels.load(detector: Data(count: 10), embedder: Data(count: 10)) { _, _ in }
            XCTFail("garbage loaded as models")
        } catch FaceError.BadModel {
        }
    }

    func testOSLogSinkInstalls() {
        XCTAssertTrue(OSLogSink.install(maxLevel: .debug))
        XCTAssertTrue(setLogSink(sink: nil, maxLevel: .error))
    }
}
