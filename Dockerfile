# syntax=docker/dockerfile:1
# One image for every role: `honcho api`, `honcho deriver`, `honcho migrate` (and `honcho serve`,
# the default: API + deriver in one container, on an embedded PostgreSQL unless
# DB_CONNECTION_URI is set).
#
#   docker build -t honcho-server .
#   docker run --rm -p 8000:8000 -e DB_CONNECTION_URI=postgresql://... honcho-server api

ARG PYTHON_VERSION=3.11

# -- build: the locked environment, made by uv ---------------------------------------------------
FROM python:${PYTHON_VERSION}-slim AS build
ARG UV_VERSION=0.13.8
RUN pip install --no-cache-dir --disable-pip-version-check "uv==${UV_VERSION}"
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first: this layer is rebuilt only when pyproject.toml or uv.lock change.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY src ./src
RUN uv sync --locked --no-dev
# tiktoken's encodings, fetched once here (without them token counts are estimates).
ENV TIKTOKEN_CACHE_DIR=/app/tiktoken
RUN /app/.venv/bin/python -c \
    "import tiktoken; [tiktoken.get_encoding(n) for n in ('o200k_base', 'cl100k_base')]"

# -- runtime: the environment and the code, no build tools, not root ----------------------------
FROM python:${PYTHON_VERSION}-slim AS runtime
RUN groupadd --system --gid 10001 honcho \
    && useradd --system --uid 10001 --gid honcho --create-home --home-dir /home/honcho \
       --shell /usr/sbin/nologin honcho
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
COPY --from=build /app/tiktoken /app/tiktoken
COPY pyproject.toml alembic.ini ./
COPY src ./src
COPY migrations ./migrations
COPY scripts ./scripts
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TIKTOKEN_CACHE_DIR=/app/tiktoken \
    API_HOST=0.0.0.0
USER honcho
EXPOSE 8000 9090
ENTRYPOINT ["honcho"]
CMD ["serve"]
