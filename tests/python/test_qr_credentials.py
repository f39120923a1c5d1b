"""A staff app in Python: verify a holder's QR code for a hotel, offline."""

import asyncio

import pytest

import idwallet as idw
from holder import enrolled_holder, face_models, photo, play
from test_wallet import PyKeyStore


def test_hotel_desk_sees_only_its_fields_and_revocation_is_typed(tmp_path):
    issuer = idw.SyntheticIssuer("Test Bureau")
    wallet = enrolled_holder(tmp_path, issuer, 13)
    qr = asyncio.run(wallet.present(idw.DocumentKind.RESIDENT_ID_CARD, "hotel"))

    desk = idw.Verifier("hotel", issuer.trust_list())
    desk.add_status_list(issuer.status_list())
    seen = asyncio.run(desk.verify_text(qr.text))
    assert [c.id for c in seen.claims] == ["name", "id_number"]
    assert seen.portrait.startswith(b"\xff\xd8")
    assert seen.status == idw.StatusCheck.VALID()
    assert asyncio.run(desk.verify_image(qr.png)).claims == seen.claims

    issuer.revoke(13, idw.DocumentKind.RESIDENT_ID_CARD)
    desk.add_status_list(issuer.status_list())
    with pytest.raises(idw.CredentialError.Revoked):
        asyncio.run(desk.verify_text(qr.text))
    with pytest.raises(idw.CredentialError.Stale):
        asyncio.run(idw.Verifier("hotel", issuer.trust_list()).verify_text(qr.text, at=qr.created_at + 3600))


def test_a_locked_wallet_discloses_nothing_and_only_its_holder_enrols(tmp_path):
    issuer = idw.SyntheticIssuer("Test Bureau")
    wallet = asyncio.run(idw.Wallet.open(str(tmp_path / "w.db"), PyKeyStore(), idw.OpenOptions()))
    face = idw.synthetic_face(4)
    asyncio.run(issuer.issue_citizen(wallet, 4, 3600, photo(face.id_photo)))
    with pytest.raises(idw.WalletError.FaceCheckRequired):
        asyncio.run(wallet.present(idw.DocumentKind.RESIDENT_ID_CARD, "police"))
    assert asyncio.run(wallet.activity(1))[0].kind == idw.ActivityKind.PRESENTED
    # Someone else's live face is not the face in the issuer's reference portrait.
    with pytest.raises(idw.WalletError.FaceMismatch) as e:
        asyncio.run(play(asyncio.run(wallet.start_face_enrolment(face_models())), photo("impostor_2")))
    assert e.value.similarity < 0.4
    assert not asyncio.run(wallet.is_face_enrolled())
    asyncio.run(play(asyncio.run(wallet.start_face_enrolment(face_models())), photo(face.live_photo)))
    assert asyncio.run(wallet.present(idw.DocumentKind.RESIDENT_ID_CARD, "police")).text.startswith("IDW1")
    wallet.lock()
    with pytest.raises(idw.WalletError.FaceCheckRequired):
        asyncio.run(wallet.present(idw.DocumentKind.RESIDENT_ID_CARD, "hotel"))
    with pytest.raises(idw.WalletError.FaceCheckRequired):
        asyncio.run(wallet.unenrol_face())
    asyncio.run(wallet.close_wallet())


class AuthBoundKeyStore(PyKeyStore):
    """Signs only right after an explicit authenticate(), as an auth-bound platform key does."""

    def __init__(self):
        super().__init__()
        self.authenticated = False

    def sign(self, message):
        if not self.authenticated:
            raise idw.KeyStoreError.AuthenticationRequired()
        self.authenticated = False
        return super().sign(message)

    def requires_user_authentication(self):
        return True


def test_the_platform_authentication_policy_needs_the_fingerprint_for_each_disclosure(tmp_path):
    keys = AuthBoundKeyStore()
    wallet = enrolled_holder(tmp_path, idw.SyntheticIssuer("Test Bureau"), 7, keys=keys)
    policy = wallet.disclosure_policy()
    policy.require_user_authentication = True
    wallet.set_disclosure_policy(policy)
    with pytest.raises(idw.WalletError.KeyStore):
        asyncio.run(wallet.present(idw.DocumentKind.RESIDENT_ID_CARD, "hotel"))
    keys.authenticated = True  # the platform's prompt succeeded
    assert asyncio.run(wallet.present(idw.DocumentKind.RESIDENT_ID_CARD, "hotel")).text.startswith("IDW1")
    asyncio.run(wallet.close_wallet())
