"""Bitbucket Data Center (and Server): the ``bitbucket-dc`` connector. Everything that is
Bitbucket's lives in this folder, written through checks.api alone (docs/connectors.md);
this package's own module imports nothing, so pytest reads its options (options.py) fast."""
