"""Sub-commands of ``kokuho-nb``: one module per command group, each with ``register(subparsers)``."""
