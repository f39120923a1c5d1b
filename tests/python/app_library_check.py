"""The app library as an app ships it (no features), through its own committed bindings.

Run by tests/run.sh with `build/bindings/python` and the library `scripts/app-library.sh`
built; argv[1] is a trust list (hex) made by the test library. It checks what the Rust tests
cannot, since they always build with every feature: the app bindings load against the app
library (uniffi's checksums), the test helpers are absent, and a report PDF is refused with
a reason instead of being parsed.
"""

import asyncio
import pathlib
import sys
import tempfile

import idwallet as idw

trust = bytes.fromhex(sys.argv[1])
assert not hasattr(idw, "SyntheticIssuer") and not hasattr(idw, "SyntheticCamera"), "test helpers in the app bindings"

d = pathlib.Path(tempfile.mkdtemp())
keys = asyncio.run(idw.SoftwareKeyStore.create(str(d / "keys"), "app library check"))
wallet = asyncio.run(idw.Wallet.open(str(d / "wallet.db"), keys, idw.OpenOptions(create_if_missing=True)))
asyncio.run(wallet.put_item("card", b"GOLD"))
assert asyncio.run(wallet.item("card")).value == b"GOLD"
asyncio.run(wallet.close_wallet())

# The consulate's PDF reader is not in the app library: a PDF is refused, and says so.
try:
    asyncio.run(idw.verify_visa_report(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", trust))
    raise SystemExit("the app library read a PDF")
except idw.ReportError.Unreadable as e:
    assert "reads no PDFs" in str(e), str(e)
# A seal's text is still checked.
try:
    asyncio.run(idw.verify_visa_report(b"IDR1:ABC", trust))
    raise SystemExit("a forged seal verified")
except idw.ReportError.Unreadable:
    pass
print("app library: bindings load, no test helpers, PDFs refused, seals checked")
