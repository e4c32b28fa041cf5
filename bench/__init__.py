"""The benchmarks: `./run bench` (or `python -m bench`), in two parts.

storage  an embedded PostgreSQL in a temporary directory and a real `honcho api` process on a
         loopback port (or a running server with `--base-url`), driven with asyncio + httpx
         clients: ingestion throughput, read/get-or-create latencies and mixed-load figures next
         to the reference server's.
deriver  the tests' fake LLM vendor answering with the scripted model at once (in a process of its
         own), an API configured with it and real `honcho deriver` processes: messages derived per
         second for 1 and 2 processes (and 1 process with 4 workers), the queue's added latency
         under a steady trickle, and prompt/output tokens per message of the representation task.
"""
