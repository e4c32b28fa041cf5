"""Bulk seeding with SQL for the context and search benchmarks (not through the API: a million
messages would take the API many minutes and measure nothing of interest here).

Rows are written as the server writes them (tables in src/db/tables.py): a workspace, its peers,
sessions with `last_seq` equal to their message count, memberships, and messages whose
`seq_in_session` runs 1..N with no gap, ids growing with it, `created_at` growing with the id.
Sessions are filled interleaved, as concurrent conversations would be, so a session's messages are
spread over the table. Message text comes from a pool of sentences (bench/corpus.py) in an unlogged
side table, picked by a hash of the row number; the exact o200k_base `token_count` and the fake
vendor's embedding are summed from the sentences'. The full-text and HNSW indexes are dropped
before a load and created again afterwards (exactly as the migration defines them), then the
tables are vacuumed and analysed.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import sql

from bench.corpus import SENTENCES_PER_MESSAGE, SentencePool

Log = Callable[[str], None]
POOL_TABLE = "bench_sentences"
SEARCH_INDEXES = ("ix_messages_content_tsv", "ix_message_embeddings_embedding")
CHUNK_ROWS = 50_000
ASSISTANT = "assistant"
EPOCH = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class SessionSpec:
    name: str
    messages: int
    user: str  # the other member is ASSISTANT; they alternate, the user first


@dataclass
class SeedTimings:
    """Seconds per step, in order (a step run twice is summed)."""

    steps: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def step(self, name: str, log: Log | None = None) -> Iterator[None]:
        start = time.perf_counter()
        yield
        seconds = time.perf_counter() - start
        self.steps[name] = round(self.steps.get(name, 0.0) + seconds, 2)
        if log is not None:
            log(f"{name}: {seconds:.1f} s")


def connect(conninfo: str) -> psycopg.Connection[Any]:
    conn = psycopg.connect(conninfo, autocommit=True)
    conn.execute("SET synchronous_commit = off")  # this session only; nothing is measured here
    return conn


def stored_dimensions(conn: psycopg.Connection[Any]) -> int:
    row = conn.execute(
        "SELECT value FROM honcho_meta WHERE key = 'embedding_dimensions'"
    ).fetchone()
    if row is None:
        raise RuntimeError("the database has no embedding_dimensions in honcho_meta")
    return int(row[0])


def _uid() -> sql.Composable:
    """A random 21-character id, as src.common.ids.new_id makes them (hex here)."""
    return sql.SQL("left(replace(gen_random_uuid()::text, '-', ''), 21)")


def create_workspace(conn: psycopg.Connection[Any], workspace: str, users: Sequence[str]) -> None:
    with conn.transaction():
        conn.execute(
            sql.SQL("INSERT INTO workspaces (id, name, created_at) VALUES ({}, %s, %s)").format(
                _uid()
            ),
            (workspace, EPOCH),
        )
        conn.execute(
            sql.SQL(
                "INSERT INTO peers (id, workspace_name, name, created_at) "
                "SELECT {}, %s, p, %s FROM unnest(%s::text[]) AS p"
            ).format(_uid()),
            (workspace, EPOCH, [*users, ASSISTANT]),
        )


def create_sessions(
    conn: psycopg.Connection[Any], workspace: str, sessions: Sequence[SessionSpec]
) -> None:
    """Sessions (last_seq = their message count) and their two members, joined at EPOCH."""
    names = [s.name for s in sessions]
    with conn.transaction():
        conn.execute(
            sql.SQL(
                "INSERT INTO sessions (id, workspace_name, name, last_seq, created_at) "
                "SELECT {}, %s, s.name, s.n, %s FROM unnest(%s::text[], %s::bigint[]) AS s(name, n)"
            ).format(_uid()),
            (workspace, EPOCH, names, [s.messages for s in sessions]),
        )
        conn.execute(
            "INSERT INTO session_peers (workspace_name, session_name, peer_name, joined_at) "
            "SELECT %s, s.name, s.peer, %s FROM unnest(%s::text[], %s::text[]) AS s(name, peer)",
            (
                workspace,
                EPOCH,
                [*names, *names],
                [*(s.user for s in sessions), *([ASSISTANT] * len(sessions))],
            ),
        )


def load_pool(conn: psycopg.Connection[Any], pool: SentencePool) -> None:
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(POOL_TABLE)))
    conn.execute(
        sql.SQL(
            "CREATE UNLOGGED TABLE {} (i integer PRIMARY KEY, text text NOT NULL, "
            "first_tokens integer NOT NULL, next_tokens integer NOT NULL, vec sparsevec NOT NULL)"
        ).format(sql.Identifier(POOL_TABLE))
    )
    with (
        conn.transaction(),
        conn.cursor() as cur,
        cur.copy(sql.SQL("COPY {} FROM STDIN").format(sql.Identifier(POOL_TABLE))) as copy,
    ):
        for row in pool.rows():
            copy.write_row(row)
    conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(POOL_TABLE)))


def drop_pool(conn: psycopg.Connection[Any]) -> None:
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(POOL_TABLE)))


def _sentence_count(g: sql.Composable, seed: int) -> sql.Composable:
    """How many sentences message number `g` has (SENTENCES_PER_MESSAGE's weights, by hash)."""
    bucket = sql.SQL("mod(hashint8extended({g}, {seed}) & 9223372036854775807, 100)").format(
        g=g, seed=sql.Literal(seed)
    )
    cases: list[sql.Composable] = []
    upper = 0
    for count, weight in SENTENCES_PER_MESSAGE[:-1]:
        upper += weight
        cases.append(sql.SQL("WHEN {} < {} THEN {}").format(bucket, upper, count))
    last = SENTENCES_PER_MESSAGE[-1][0]
    return sql.SQL("CASE {} ELSE {} END").format(sql.SQL(" ").join(cases), last)


def _messages_statement(seed: int, pool_size: int, embeddings: bool) -> sql.Composed:
    """Insert the messages of layout rows lo <= g < hi (and their embeddings, one chunk each)."""
    pick = sql.SQL(
        "mod(hashint8extended(l.g * 8 + j.j, {seed}) & 9223372036854775807, {size})"
    ).format(seed=sql.Literal(seed + 1), size=sql.Literal(pool_size))
    vector = sql.SQL(", l2_normalize(sum(p.vec::vector)) AS vec") if embeddings else sql.SQL("")
    source = sql.SQL(
        """
        SELECT l.g, l.session_name, l.seq, l.peer_name, c.content, c.tokens{outer_vec}
        FROM bench_layout l
        CROSS JOIN LATERAL (
            SELECT string_agg(p.text, ' ' ORDER BY j.j) AS content,
                   sum(CASE WHEN j.j = 1 THEN p.first_tokens ELSE p.next_tokens END)::int
                       AS tokens{vector}
            FROM generate_series(1, {count}) AS j(j)
            CROSS JOIN LATERAL (  -- one primary-key look-up per sentence (OFFSET 0: kept so)
                SELECT s.text, s.first_tokens, s.next_tokens, s.vec FROM {pool} s
                WHERE s.i = {pick} OFFSET 0
            ) p
        ) c
        WHERE l.g >= %(lo)s AND l.g < %(hi)s
        """
    ).format(
        outer_vec=sql.SQL(", c.vec") if embeddings else sql.SQL(""),
        vector=vector,
        count=_sentence_count(sql.SQL("l.g"), seed),
        pool=sql.Identifier(POOL_TABLE),
        pick=pick,
    )
    insert = sql.SQL(
        """
        INSERT INTO messages (public_id, workspace_name, session_name, peer_name, content,
                              token_count, seq_in_session, created_at)
        SELECT {uid}, %(workspace)s, src.session_name, src.peer_name, src.content, src.tokens,
               src.seq, %(epoch)s + src.g * interval '1 second'
        FROM src ORDER BY src.g
        """
    ).format(uid=_uid())
    if not embeddings:
        return sql.SQL("WITH src AS MATERIALIZED ({source}) {insert}").format(
            source=source, insert=insert
        )
    return sql.SQL(
        """
        WITH src AS MATERIALIZED ({source}),
        ins AS ({insert} RETURNING id, session_name, seq_in_session, content)
        INSERT INTO message_embeddings (id, message_id, workspace_name, session_name, chunk_index,
                                        content, embedding)
        SELECT {uid}, ins.id, %(workspace)s, ins.session_name, 0, ins.content, src.vec
        FROM ins JOIN src ON src.session_name = ins.session_name AND src.seq = ins.seq_in_session
        """
    ).format(source=source, insert=insert, uid=_uid())


def insert_messages(
    conn: psycopg.Connection[Any],
    workspace: str,
    sessions: Sequence[SessionSpec],
    *,
    pool_size: int,
    first_row: int,
    embeddings: bool,
    seed: int,
    log: Log | None = None,
) -> int:
    """Every session's messages, interleaved (each session advances in proportion to its size).
    `first_row` numbers the rows (hence picks the text): distinct per call. Returns the count."""
    conn.execute("DROP TABLE IF EXISTS bench_layout")
    conn.execute(
        "CREATE TEMP TABLE bench_layout (g bigint PRIMARY KEY, session_name text NOT NULL, "
        "seq bigint NOT NULL, peer_name text NOT NULL)"
    )
    conn.execute(
        """
        INSERT INTO bench_layout (g, session_name, seq, peer_name)
        SELECT %(first)s - 1 + row_number() OVER (ORDER BY (q.seq - 1)::float8 / s.n, s.k),
               s.name, q.seq, CASE WHEN q.seq %% 2 = 1 THEN s.peer ELSE %(assistant)s END
        FROM unnest(%(names)s::text[], %(sizes)s::bigint[], %(users)s::text[])
             WITH ORDINALITY AS s(name, n, peer, k)
        CROSS JOIN LATERAL generate_series(1, s.n) AS q(seq)
        """,
        {
            "first": first_row,
            "assistant": ASSISTANT,
            "names": [s.name for s in sessions],
            "sizes": [s.messages for s in sessions],
            "users": [s.user for s in sessions],
        },
    )
    conn.execute("ANALYZE bench_layout")
    total = sum(s.messages for s in sessions)
    statement = _messages_statement(seed, pool_size, embeddings)
    started = time.perf_counter()
    for lo in range(first_row, first_row + total, CHUNK_ROWS):
        hi = min(lo + CHUNK_ROWS, first_row + total)
        conn.execute(statement, {"lo": lo, "hi": hi, "workspace": workspace, "epoch": EPOCH})
        done = hi - first_row
        if (
            log is not None
            and total > CHUNK_ROWS
            and (done % 200_000 < CHUNK_ROWS or done == total)
        ):
            rate = done / max(1e-9, time.perf_counter() - started)
            log(f"  {done:,} / {total:,} messages ({rate:,.0f}/s)")
    conn.execute("DROP TABLE bench_layout")
    return total


# -- indexes and maintenance --------------------------------------------------------------------


def index_definitions(conn: psycopg.Connection[Any]) -> dict[str, str]:
    rows = conn.execute(
        "SELECT indexname, indexdef FROM pg_indexes "
        "WHERE schemaname = current_schema() AND indexname = ANY(%s)",
        (list(SEARCH_INDEXES),),
    ).fetchall()
    return {str(name): str(definition) for name, definition in rows}


def drop_indexes(conn: psycopg.Connection[Any], definitions: dict[str, str]) -> None:
    for name in definitions:
        conn.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))


@dataclass(frozen=True)
class IndexBuild:
    name: str
    seconds: float
    size_mb: float
    notices: list[str]


def build_indexes(
    conn: psycopg.Connection[Any],
    definitions: dict[str, str],
    maintenance_work_mem: str,
    parallel_workers: int,
    log: Log | None = None,
) -> list[IndexBuild]:
    """CREATE INDEX as the migration defines each, with generous memory for the build."""
    notices: list[str] = []

    def notice(diag: psycopg.errors.Diagnostic) -> None:
        notices.append(str(diag.message_primary))

    conn.add_notice_handler(notice)
    conn.execute(sql.SQL("SET maintenance_work_mem = {}").format(sql.Literal(maintenance_work_mem)))
    conn.execute(
        sql.SQL("SET max_parallel_maintenance_workers = {}").format(sql.Literal(parallel_workers))
    )
    builds: list[IndexBuild] = []
    try:
        for name, definition in definitions.items():
            notices.clear()
            start = time.perf_counter()
            conn.execute(definition.encode())
            seconds = time.perf_counter() - start
            row = conn.execute("SELECT pg_relation_size(%s::regclass)", (name,)).fetchone()
            size_mb = round((row[0] if row else 0) / 2**20, 1)
            builds.append(IndexBuild(name, round(seconds, 2), size_mb, list(notices)))
            if log is not None:
                log(f"built {name} in {seconds:.1f} s ({size_mb:,.0f} MB)")
    finally:
        conn.remove_notice_handler(notice)
        conn.execute("RESET maintenance_work_mem")
        conn.execute("RESET max_parallel_maintenance_workers")
    return builds


def vacuum_analyze(conn: psycopg.Connection[Any]) -> None:
    for table in ("messages", "message_embeddings", "sessions", "peers", "session_peers"):
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}").format(sql.Identifier(table)))
    conn.execute("CHECKPOINT")


# -- checks -------------------------------------------------------------------------------------


def check_sequences(conn: psycopg.Connection[Any], workspace: str) -> list[str]:
    """Problems with seq_in_session (gaps, duplicates, wrong last_seq), or none."""
    rows = conn.execute(
        """
        SELECT s.name, s.last_seq, count(m.id), min(m.seq_in_session), max(m.seq_in_session),
               bool_and(m.created_at >= sp.joined_at)
        FROM sessions s
        JOIN messages m ON m.workspace_name = s.workspace_name AND m.session_name = s.name
        JOIN session_peers sp ON sp.workspace_name = s.workspace_name
             AND sp.session_name = s.name AND sp.peer_name = m.peer_name
        WHERE s.workspace_name = %s
        GROUP BY s.name, s.last_seq
        """,
        (workspace,),
    ).fetchall()
    problems = []
    for name, last_seq, count, low, high, members in rows:
        if not (low == 1 and high == count == last_seq and members):
            problems.append(f"{name}: {count} messages, seq {low}..{high}, last_seq {last_seq}")
    return problems


def check_token_counts(
    conn: psycopg.Connection[Any], workspace: str, sample: int | None
) -> tuple[int, int]:
    """(checked, wrong): stored token_count against tiktoken's o200k_base count of the content,
    for every message of the workspace (sample None) or a random sample."""
    import tiktoken

    encoding = tiktoken.get_encoding("o200k_base")
    if sample is None:
        query = "SELECT content, token_count FROM messages WHERE workspace_name = %s"
        params: tuple[Any, ...] = (workspace,)
    else:
        query = (
            "SELECT content, token_count FROM messages WHERE workspace_name = %s "
            "ORDER BY hashint8(id) LIMIT %s"
        )
        params = (workspace, sample)
    checked = wrong = 0
    with conn.cursor(name="bench_tokens") as cur, conn.transaction():
        cur.execute(query, params)
        for content, token_count in cur:
            checked += 1
            wrong += len(encoding.encode_ordinary(content)) != token_count
    return checked, wrong


def check_embeddings(conn: psycopg.Connection[Any], workspace: str, sample: int) -> float:
    """The largest difference between a stored vector and the fake vendor's embedding of the
    message's text (what the server would have stored), over a sample."""
    from tests.fakes.embedding import hashed_embedding

    dimensions = stored_dimensions(conn)
    rows = conn.execute(
        "SELECT e.content, e.embedding::text FROM message_embeddings e "
        "WHERE e.workspace_name = %s ORDER BY hashint8(e.message_id) LIMIT %s",
        (workspace, sample),
    ).fetchall()
    worst = 0.0
    for content, literal in rows:
        stored = [float(x) for x in str(literal).strip("[]").split(",")]
        expected = hashed_embedding(str(content), dimensions)
        worst = max(worst, max(abs(a - b) for a, b in zip(stored, expected, strict=True)))
    return worst if rows else math.nan


def expected_context(
    conn: psycopg.Connection[Any], workspace: str, session: str, budget: int
) -> tuple[int, str | None]:
    """(how many messages, the oldest one's public id): the newest messages whose token counts
    add up to at most `budget` (no summary exists)."""
    row = conn.execute(
        """
        SELECT count(*), (array_agg(public_id ORDER BY id))[1]
        FROM (
            SELECT public_id, id, sum(token_count) OVER (ORDER BY id DESC) AS running
            FROM messages WHERE workspace_name = %s AND session_name = %s
        ) t
        WHERE running <= %s
        """,
        (workspace, session, budget),
    ).fetchone()
    if row is None:
        return 0, None
    return int(row[0]), (str(row[1]) if row[1] is not None else None)


def database_size_mb(conn: psycopg.Connection[Any]) -> float:
    row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    return round((row[0] if row else 0) / 2**20, 1)


def server_settings(conn: psycopg.Connection[Any]) -> dict[str, str]:
    """The PostgreSQL settings that matter for these measurements."""
    rows = conn.execute(
        "SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name",
        (["server_version", "shared_buffers", "work_mem", "jit", "effective_cache_size"],),
    ).fetchall()
    settings = {str(name): str(value) for name, value in rows}
    vector = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    settings["pgvector"] = str(vector[0]) if vector else "?"
    return settings
