#!/usr/bin/env python3
"""Runs every test_* function in tests/integration/test_*.py; prints 'N passed, N failed'.
Arguments are substrings of test names: a test runs if it contains one (or there is none), and
none of those written -SUBSTRING."""
import importlib.util
import glob
import os
import sys
import time
import traceback

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
only = [a for a in sys.argv[1:] if not a.startswith("-")]
unless = [a[1:] for a in sys.argv[1:] if a.startswith("-")]
passed = failed = skipped = 0
for path in sorted(glob.glob(os.path.join(here, "test_*.py"))):
    name = os.path.basename(path)[:-3]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    for fn in [getattr(mod, f) for f in dir(mod) if f.startswith("test_")]:
        full = f"{name}.{fn.__name__}"
        if only and not any(o in full for o in only) or any(u in full for u in unless):
            continue
        start = time.time()
        try:
            result = fn()
            if isinstance(result, str) and result.startswith("skip"):
                skipped += 1
                print(f"skip {full}: {result}", flush=True)
                continue
            passed += 1
            print(f"ok   {full} ({time.time() - start:.1f}s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {full} ({time.time() - start:.1f}s)", flush=True)
            traceback.print_exc()
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed else 0)
