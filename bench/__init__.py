"""The storage benchmark: `./run bench` (or `python -m bench`).

It starts an embedded PostgreSQL in a temporary directory and a real `honcho api` process on a
loopback port (or targets a running server with `--base-url`), drives it with asyncio + httpx
clients and prints ingestion throughput, read/get-or-create latencies and mixed-load figures next
to the reference server's.
"""
