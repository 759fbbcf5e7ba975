"""The README's example program runs against the real system and prints what it says it does."""

from __future__ import annotations

import os
import subprocess
import sys
import unittest
from pathlib import Path

from support import URL, register_tenant

SDK = Path(__file__).resolve().parent.parent


class QuickstartTests(unittest.TestCase):
    def test_the_example_runs(self) -> None:
        env = dict(os.environ, JOBQUEUE_URL=URL, JOBQUEUE_API_KEY=register_tenant("quickstart").api_key.key,
                   PYTHONPATH=str(SDK / "src"))
        run = subprocess.run([sys.executable, str(SDK / "examples" / "quickstart.py")], env=env, capture_output=True,
                             text=True, timeout=120)
        self.assertEqual(run.returncode, 0, run.stdout + run.stderr)
        lines = run.stdout.splitlines()
        self.assertEqual(lines, [
            "health: ok",
            "echo: completed {'to': 'ada@example.com'}",
            "greet: completed {'greeting': 'Hello, Ada!'}",
            "nameless: dead payload needs a name",
            "jobs: ['echo']",
            "stats: 2 completed, 1 dead",
        ], run.stderr)


if __name__ == "__main__":
    unittest.main()
