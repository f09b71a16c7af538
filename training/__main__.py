"""``python -m training <command>``: corpus, train, evaluate, export."""
from training.cli import main

raise SystemExit(main())
