"""What a Python developer writes against idwallet's bindings: a key store implemented in
Python (the `cryptography` package), a real wallet file, typed exceptions, and logs arriving
through LogSink. Run by tests/run.sh with the generated `idwallet` module on the path."""

import asyncio
import os

import pytest
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

import idwallet as idw


class PyKeyStore(idw.KeyStore):
    """A software key store in Python: P-256 device key, AES-GCM key wrapping."""

    def __init__(self):
        self._device = ec.generate_private_key(ec.SECP256R1())
        self._wrapping = AESGCM(AESGCM.generate_key(bit_length=256))

    def device_public_key(self):
        n = self._device.public_key().public_numbers()
        return b"\x04" + n.x.to_bytes(32, "big") + n.y.to_bytes(32, "big")

    def sign(self, message):
        r, s = decode_dss_signature(self._device.sign(bytes(message), ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def wrap_key(self, key):
        nonce = os.urandom(12)
        return nonce + self._wrapping.encrypt(nonce, bytes(key), None)

    def unwrap_key(self, wrapped):
        wrapped = bytes(wrapped)
        try:
            return self._wrapping.decrypt(wrapped[:12], wrapped[12:], None)
        except (InvalidTag, ValueError):
            raise idw.KeyStoreError.UnwrapFailed()

    def requires_user_authentication(self):
        return False


class BrokenKeyStore(PyKeyStore):
    def unwrap_key(self, wrapped):
        raise RuntimeError("hsm offline")


class Sink(idw.LogSink):
    def __init__(self):
        self.lines = []

    def log(self, level, target, message):
        self.lines.append((level, target, message))


def open_wallet(path, keys, create=True):
    return asyncio.run(idw.Wallet.open(str(path), keys, idw.OpenOptions(create_if_missing=create)))


def test_items_survive_reopen_with_a_python_key_store(tmp_path):
    keys = PyKeyStore()
    wallet = open_wallet(tmp_path / "w.db", keys)
    asyncio.run(wallet.put_item("membership", b"GOLD-123"))
    asyncio.run(wallet.put_item("note", b"\x00\xff binary ok"))
    assert asyncio.run(wallet.delete_item("membership"))
    asyncio.run(wallet.close_wallet())

    wallet = open_wallet(tmp_path / "w.db", keys, create=False)
    assert [(i.key, i.value) for i in asyncio.run(wallet.items())] == [("note", b"\x00\xff binary ok")]
    info = asyncio.run(wallet.info())
    assert info.records == [idw.KindCount(kind="item", count=1)]
    assert info.activity_entries == 4
    kinds = [e.kind for e in asyncio.run(wallet.activity(10))]
    assert kinds == [idw.ActivityKind.RECORD_DELETED, idw.ActivityKind.RECORD_STORED,
                     idw.ActivityKind.RECORD_STORED, idw.ActivityKind.WALLET_CREATED]


def test_wrong_key_store_is_a_typed_error(tmp_path):
    asyncio.run(open_wallet(tmp_path / "w.db", PyKeyStore()).close_wallet())
    with pytest.raises(idw.WalletError.WrongKey):
        open_wallet(tmp_path / "w.db", PyKeyStore())


def test_damaged_wallet_is_corrupt(tmp_path):
    keys = PyKeyStore()
    wallet = open_wallet(tmp_path / "w.db", keys)
    for i in range(50):
        asyncio.run(wallet.put_item(f"k{i}", b"\x07" * 300))
    asyncio.run(wallet.close_wallet())
    data = bytearray((tmp_path / "w.db").read_bytes())
    data[4096:3 * 4096] = b"\x5a" * (min(len(data), 3 * 4096) - 4096)
    (tmp_path / "w.db").write_bytes(bytes(data))
    with pytest.raises(idw.WalletError.Corrupt):
        open_wallet(tmp_path / "w.db", keys)


def test_missing_record_is_not_found(tmp_path):
    wallet = open_wallet(tmp_path / "w.db", PyKeyStore())
    with pytest.raises(idw.WalletError.NotFound) as e:
        asyncio.run(wallet.item("absent"))
    assert e.value.reason == "no item record with that id"


def test_log_lines_arrive_through_the_sink(tmp_path):
    sink = Sink()
    assert idw.set_log_sink(sink, idw.LogLevel.INFO)
    asyncio.run(open_wallet(tmp_path / "w.db", PyKeyStore()).close_wallet())
    idw.set_log_sink(None, idw.LogLevel.INFO)
    assert (idw.LogLevel.INFO, "idwallet::store", "wallet opened schema=1") in sink.lines
    assert all(level != idw.LogLevel.DEBUG for level, _, _ in sink.lines)


def test_software_key_store_signatures_verify_in_python(tmp_path):
    path = str(tmp_path / "keys")
    keys = asyncio.run(idw.SoftwareKeyStore.create(path, "pass phrase"))
    with pytest.raises(idw.KeyStoreError.WrongPassphrase):
        asyncio.run(idw.SoftwareKeyStore.open(path, "not it"))
    signature = keys.sign(b"POST /register")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), keys.device_public_key())
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    public.verify(der, b"POST /register", ec.ECDSA(hashes.SHA256()))
    with pytest.raises(InvalidSignature):
        public.verify(der, b"POST /other", ec.ECDSA(hashes.SHA256()))


def test_an_undeclared_host_exception_becomes_a_typed_error(tmp_path):
    keys = PyKeyStore()
    asyncio.run(open_wallet(tmp_path / "w.db", keys).close_wallet())
    broken = BrokenKeyStore()
    broken._wrapping = keys._wrapping
    with pytest.raises(idw.WalletError.KeyStore) as e:
        open_wallet(tmp_path / "w.db", broken)
    assert "hsm" not in str(e.value)
