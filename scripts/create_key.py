#!/usr/bin/env python3
"""Print a scoped API key (a JWT signed with AUTH_JWT_SECRET), for operators.

    python scripts/create_key.py --workspace acme                  # everything in workspace acme
    python scripts/create_key.py --workspace acme --peer alice     # only alice's routes
    python scripts/create_key.py --workspace acme --session s1 --expires-in 86400
    python scripts/create_key.py --admin                           # full access

Same as `honcho key`: the secret comes from AUTH_JWT_SECRET (environment, .env or config.toml),
or from --secret-file. Nothing is sent anywhere; the server checks the signature on each request.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    # Every other option (and --help) is `honcho key`'s.
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--secret-file", type=Path, help="read AUTH_JWT_SECRET from this file")
    args, rest = parser.parse_known_args(argv)
    if args.secret_file is not None:
        os.environ["AUTH_JWT_SECRET"] = args.secret_file.read_text().strip()
    from src.cli import main as honcho

    return honcho(["key", *rest])


if __name__ == "__main__":
    sys.exit(main())
