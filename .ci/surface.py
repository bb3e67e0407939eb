#!/usr/bin/env python3
"""The README's "Public surface" table lists exactly what rustdoc says `agen`
exports: every item of target/doc/agen/all.html, one row each, nothing more.

Usage: python3 .ci/surface.py [DOC_DIR]   (default target/doc/agen)
"""
import re
import sys
from pathlib import Path

doc = Path(sys.argv[1] if len(sys.argv) > 1 else "target/doc/agen")
exported = set(re.findall(r'<li><a href="[^"]+">([^<]+)</a></li>', (doc / "all.html").read_text()))
if len(exported) < 20:
    sys.exit(f"surface: read only {len(exported)} items from {doc}/all.html")

readme = Path("README.md").read_text()
section = readme.split("## Public surface", 1)[1].split("\n## ", 1)[0]
listed = []
for row in section.splitlines():
    if not row.startswith("| `"):
        continue
    first = row.split("|")[1]
    listed += re.findall(r"`([^`]+)`", first)

duplicates = sorted({n for n in listed if listed.count(n) > 1})
missing = sorted(exported - set(listed))
extra = sorted(set(listed) - exported)
for what, names in [("listed twice", duplicates), ("exported but not listed", missing),
                    ("listed but not exported", extra)]:
    if names:
        print(f"surface: {what}: {', '.join(names)}", file=sys.stderr)
if duplicates or missing or extra:
    sys.exit(1)
print(f"ok: the README lists the {len(exported)} public items of agen")
