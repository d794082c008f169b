"""The soak's fast variant (make soak runs it for ten minutes): every workload mix, checked the
same way, for a few seconds, with the recording budget's size check (its CPU check needs a minute:
make soak-budget)."""
import os
import subprocess

from mrtest import ROOT, check

SOAK = os.path.join(ROOT, "tests", "soak", "soak.py")


def test_short_mixed_soak():
    p = subprocess.run(["/usr/bin/python3", SOAK], capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, SOAK_SECONDS="8", SOAK_BUDGET="1"))
    check(p.returncode == 0 and "soak: ok" in p.stdout and "recording size within budget" in
          p.stdout, f"{p.stdout[-2000:]}\n{p.stderr[-3000:]}")
