#!/usr/bin/env python3
"""What each crate costs in a shared library: code and read-only data of its symbols, by the
crate their demangled path starts with (as cargo-bloat attributes them; cargo-bloat itself
refuses a crate that is also a staticlib and rlib). Generic code counts where it was
instantiated, so a crate's total is an estimate. C symbols are grouped by prefix.
    scripts/crate-sizes.py LIB.so [TOP]"""
import re
import subprocess
import sys
from collections import Counter

lib = sys.argv[1]
top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
out = subprocess.run(["nm", "-S", "--defined-only", "-C", lib], capture_output=True, text=True, check=True).stdout
C_PREFIXES = {"sqlite3": "sqlite (C)", "ring_core": "ring (C/asm)", "p256_": "ring (C/asm)", "ecp_nistz256": "ring (C/asm)",
              "aes_hw": "ring (C/asm)", "ChaCha20": "ring (C/asm)", "gcm_": "ring (C/asm)", "bn_": "ring (C/asm)"}
sizes, total = Counter(), 0
for line in out.splitlines():
    parts = line.split(" ", 3)
    if len(parts) < 4 or parts[2] not in "tTrRdDbB":
        continue
    size, name = int(parts[1], 16), parts[3]
    total += size
    # Trait impls (`<T as Trait>::f`) and references start with punctuation; the path after it
    # names the crate. `{closure}`-style and C names fall through to the prefix table.
    m = re.match(r"[<&*\s(]*(?:dyn |mut |const |impl )?([A-Za-z_][A-Za-z0-9_]*)::", name)
    if m:
        crate = m.group(1)
    else:
        crate = next((v for k, v in C_PREFIXES.items() if name.startswith(k)), "[other C / unnamed]")
    sizes[crate] += size
print(f"{'crate':<28}{'MB':>8}{'share':>8}")
for crate, size in sizes.most_common(top):
    print(f"{crate:<28}{size / 1e6:>8.2f}{100 * size / total:>7.1f}%")
print(f"{'(symbols in all)':<28}{total / 1e6:>8.2f}")
