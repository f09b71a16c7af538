"""``python -m bridge`` is the ``segue`` command."""
from bridge.cli import main

raise SystemExit(main())
