#!/usr/bin/env python3
"""Print a random secret suitable for AUTH_JWT_SECRET (256 bits, URL-safe)."""

import secrets

if __name__ == "__main__":
    print(secrets.token_urlsafe(32))
