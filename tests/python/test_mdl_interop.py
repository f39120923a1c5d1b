"""An independent implementation checks our ISO 18013-5 mDL: pyMDOC-CBOR (IdentityPython)
verifies the document signer under our IACA root, issuerAuth and every element digest of
what the wallet presents and exports; plain `cryptography` checks the device
signature over the session transcript. Each check is also shown to fail on a forgery."""

import asyncio

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pymdoccbor.mdoc.verifier import MdocCbor

import idwallet as idw
from holder import enrolled_holder

MDL = "org.iso.18013.5.1"


def roots(issuer):
    return [x509.load_der_x509_certificate(der) for der in idw.mdl_iaca_roots(issuer.trust_list())]


def road_check(wallet, issuer):
    holder = idw.MdlHolderSession(wallet, idw.MdlAudience.POLICE)
    reader = idw.MdlReader(holder.engagement_uri(), idw.mdl_iaca_roots(issuer.trust_list()))
    consent = asyncio.run(holder.receive_request(reader.request(idw.mdl_road_check())))
    answer = asyncio.run(holder.approve([e.id for e in consent.elements if e.allowed]))
    return reader, asyncio.run(reader.receive(answer, None))


def pymdoc_verifies(device_response, trusted):
    mdoc = MdocCbor()
    mdoc.loads(device_response)
    return mdoc.verify(trusted_root_certs=trusted) and not mdoc.documents_invalid, mdoc


def test_pymdoccbor_verifies_the_presented_and_the_exported_licence(tmp_path):
    issuer = idw.SyntheticIssuer("Test Bureau")
    wallet = enrolled_holder(tmp_path, issuer, 13)
    _, verdict = road_check(wallet, issuer)
    ok, mdoc = pymdoc_verifies(verdict.device_response, roots(issuer))
    assert ok
    ours = {e.id.element: e.value for e in verdict.documents[0].elements}
    theirs = mdoc.disclosure_map[MDL]
    assert theirs["document_number"] == ours["document_number"].value
    assert theirs["family_name"] == ours["family_name"].value
    assert theirs["portrait"] == ours["portrait"].value

    exported = asyncio.run(wallet.export_mdoc())
    whole = cbor2.dumps({"version": "1.0", "documents": [{"docType": MDL + ".mDL", "issuerSigned": cbor2.loads(exported)}], "status": 0})
    ok, alone = pymdoc_verifies(whole, roots(issuer))
    assert ok
    assert len(alone.disclosure_map[MDL]) >= 15 and "points" in alone.disclosure_map["org.idwallet.cn.dl.1"]


def test_the_independent_check_refuses_a_forged_element_and_another_root(tmp_path):
    issuer = idw.SyntheticIssuer("Test Bureau")
    wallet = enrolled_holder(tmp_path, issuer, 16)
    _, verdict = road_check(wallet, issuer)
    number = next(e.value.value for e in verdict.documents[0].elements if e.id.element == "document_number")
    forged_number = number[:-1] + ("1" if number[-1] != "1" else "2")
    forged = verdict.device_response.replace(number.encode(), forged_number.encode(), 1)
    assert forged != verdict.device_response
    assert not pymdoc_verifies(forged, roots(issuer))[0]
    assert not pymdoc_verifies(verdict.device_response, roots(idw.SyntheticIssuer("Another Bureau")))[0]


def device_signature_verifies(response_bytes, transcript_bytes):
    """18013-5 §9.1.3.6 with plain cryptography: ES256 over DeviceAuthenticationBytes by the MSO's device key."""
    doc = cbor2.loads(response_bytes)["documents"][0]
    mso = cbor2.loads(cbor2.loads(doc["issuerSigned"]["issuerAuth"][2]).value)
    key = mso["deviceKeyInfo"]["deviceKey"]
    public = ec.EllipticCurvePublicNumbers(int.from_bytes(key[-2], "big"), int.from_bytes(key[-3], "big"), ec.SECP256R1()).public_key()
    transcript = cbor2.loads(cbor2.loads(transcript_bytes).value)
    authentication = ["DeviceAuthentication", transcript, doc["docType"], doc["deviceSigned"]["nameSpaces"]]
    authentication_bytes = cbor2.dumps(cbor2.CBORTag(24, cbor2.dumps(authentication)))
    protected, _, payload, signature = doc["deviceSigned"]["deviceAuth"]["deviceSignature"]
    assert payload is None, "detached payload"
    to_be_signed = cbor2.dumps(["Signature1", protected, b"", authentication_bytes])
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
    try:
        public.verify(encode_dss_signature(r, s), to_be_signed, ec.ECDSA(hashes.SHA256()))
        return True
    except Exception:
        return False


def test_the_device_signature_binds_the_answer_to_its_session(tmp_path):
    issuer = idw.SyntheticIssuer("Test Bureau")
    wallet = enrolled_holder(tmp_path, issuer, 19)
    reader, verdict = road_check(wallet, issuer)
    assert device_signature_verifies(verdict.device_response, reader.session_transcript())
    other_reader, _ = road_check(wallet, issuer)
    assert not device_signature_verifies(verdict.device_response, other_reader.session_transcript())
