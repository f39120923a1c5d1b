"""A staff app in Python: verify a holder's QR code for a hotel, offline."""

import asyncio

import pytest

import idwallet as idw
from test_wallet import PyKeyStore


def holder(tmp_path, issuer, citizen):
    wallet = asyncio.run(idw.Wallet.open(str(tmp_path / "holder.db"), PyKeyStore(), idw.OpenOptions()))
    asyncio.run(issuer.issue_citizen(wallet, citizen, 3600))
    return wallet


def test_hotel_desk_sees_only_its_fields_and_revocation_is_typed(tmp_path):
    issuer = idw.SyntheticIssuer("Test Bureau")
    wallet = holder(tmp_path, issuer, 11)
    qr = asyncio.run(wallet.present(idw.DocumentKind.RESIDENT_ID_CARD, "hotel"))

    desk = idw.Verifier("hotel", issuer.trust_list())
    desk.add_status_list(issuer.status_list())
    seen = desk.verify_text(qr.text)
    assert [c.id for c in seen.claims] == ["name", "id_number"]
    assert seen.portrait.startswith(b"\xff\xd8")
    assert seen.status == idw.StatusCheck.VALID()
    assert desk.verify_image(qr.png).claims == seen.claims

    issuer.revoke(11, idw.DocumentKind.RESIDENT_ID_CARD)
    desk.add_status_list(issuer.status_list())
    with pytest.raises(idw.CredentialError.Revoked):
        desk.verify_text(qr.text)
    with pytest.raises(idw.CredentialError.Stale):
        idw.Verifier("hotel", issuer.trust_list()).verify_text(qr.text, at=qr.created_at + 3600)
