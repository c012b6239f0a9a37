#!/usr/bin/env python3
"""Checks that the root Cargo.lock resolves every registry crate it shares with
bin/op-reth-light/Cargo.lock to a version the binary's lock also has (DESIGN.md "Versions"),
so the root CI tests exactly the code the binary runs."""
import re
import sys


def registry_versions(path):
    versions = {}
    for block in open(path).read().split("[[package]]")[1:]:
        name = re.search(r'^name = "([^"]+)"', block, re.M).group(1)
        version = re.search(r'^version = "([^"]+)"', block, re.M).group(1)
        source = re.search(r'^source = "([^"]+)"', block, re.M)
        if source and source.group(1).startswith("registry+"):
            versions.setdefault(name, set()).add(version)
    return versions


root = registry_versions("Cargo.lock")
bin_ = registry_versions("bin/op-reth-light/Cargo.lock")
bad = [
    f"{name}: root {sorted(root[name])}, bin {sorted(bin_[name])}"
    for name in sorted(set(root) & set(bin_))
    if not root[name] <= bin_[name]
]
if bad:
    print("root and bin locks disagree on shared crates:")
    print("\n".join(bad))
    sys.exit(1)
print(f"locks agree on the {len(set(root) & set(bin_))} registry crates they share")
