"""A panic inside the Rust core reaches Python as an exception; the process lives on.

The child interpreter arms core's fault points (`IDWALLET_FAILPOINTS`, each panics once);
the parent checks what the child saw, so a panic that killed the process fails the test.
"""

import os
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import asyncio, pathlib, tempfile
    import idwallet as idw
    from holder import enrolled_holder

    wallet = enrolled_holder(pathlib.Path(tempfile.mkdtemp()), idw.SyntheticIssuer("Test Bureau"), 7)
    for call in (lambda: asyncio.run(wallet.document_kinds()),
                 lambda: asyncio.run(wallet.present(idw.DocumentKind.RESIDENT_ID_CARD, "hotel"))):
        try:
            call()
            print("no exception")
        except idw.InternalError as e:
            print("InternalError:", e)
        call()
        print("retry ok")
    # Closed explicitly: an interpreter that exits with a wallet still open after async calls
    # can abort at exit ("FATAL: exception not rethrown"), with or without a panic (#8 note).
    asyncio.run(wallet.close_wallet())
    """
)


def test_forced_panics_become_internal_errors_and_the_process_survives():
    env = dict(os.environ, IDWALLET_FAILPOINTS="wallet::documents=1*panic(forced by the test);"
               "wallet::present=1*panic(forced by the test)")
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(__file__)] + sys.path)
    child = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, child.stderr
    lines = child.stdout.splitlines()
    assert lines == ["InternalError: forced by the test", "retry ok"] * 2, child.stdout
