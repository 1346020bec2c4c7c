"""Use cases, one module per area of the product: load through fm.io, call the domain, write through fm.io and
fm.accounts, return plain data. The web app and the CLI call these and nothing deeper."""
