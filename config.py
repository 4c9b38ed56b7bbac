"""Configuration classes, read from the environment.

`KINDRED_ENV` picks the class: `development` (the default, what `make run` uses), `test`, or
`production`. Every secret and URL comes from the environment; only development invents its own
secret key (kept in `instance/`), and production refuses to start without one.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent
INSTANCE = Path(os.environ.get("KINDRED_INSTANCE", ROOT / "instance"))


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    return int(raw) if raw not in (None, "") else default


class Config:
    ENV_NAME = "base"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")

    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE / 'kindred.sqlite3'}"
    )
    # PostgreSQL connections are checked before use (a restarted database must not surface as
    # a 500) and pooled per worker; SQLite needs neither.
    SQLALCHEMY_ENGINE_OPTIONS: dict = (
        {"pool_pre_ping": True, "pool_size": _env_int("DB_POOL_SIZE", 10),
         "max_overflow": _env_int("DB_MAX_OVERFLOW", 20), "pool_recycle": 1800,
         # A request that can't get a connection in 10 s gets a clear 503, not a hang.
         "pool_timeout": _env_int("DB_POOL_TIMEOUT", 10)}
        if SQLALCHEMY_DATABASE_URI.startswith("postgresql") else {}
    )

    # Bodies larger than this get a friendly 413; no form here needs more.
    MAX_CONTENT_LENGTH = 256 * 1024
    MAX_FORM_PARTS = 200

    # Password hashing: argon2id at the first of OWASP's recommended configurations
    # (Password Storage Cheat Sheet, "Argon2id": m=19456 KiB (19 MiB), t=2, p=1;
    # https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html).
    # Changing these makes every account's hash be upgraded at its next sign-in.
    ARGON2_MEMORY_KIB = 19456
    ARGON2_TIME_COST = 2
    ARGON2_PARALLELISM = 1

    # Sessions: the cookie carries only a random session id (and the CSRF secret); the
    # server keeps the hash of that id, so any session can be ended from anywhere.
    SESSION_COOKIE_NAME = "kindred_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_IDLE_TIMEOUT = timedelta(minutes=_env_int("SESSION_IDLE_MINUTES", 60))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=_env_int("SESSION_ABSOLUTE_HOURS", 12))

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session, which is bounded above

    # Rate limits. Keys are salted hashes of the client address (see services/ratelimit.py).
    # With Redis, every worker counts against the same limits (and shares the salt, kept there
    # with a TTL); without it, counts live in this process's memory.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI") or REDIS_URL or "memory://"
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "kindred")
    # Forum pages keep working while Redis is away: limits fall back to memory until it is back.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    RATELIMIT_ENABLED = True
    RATELIMIT_SALT_ROTATE_SECONDS = 6 * 3600
    LOGIN_LIMIT_PER_ADDRESS = os.environ.get("LOGIN_LIMIT_PER_ADDRESS", "20 per minute")
    LOGIN_LIMIT_PER_PSEUDONYM = os.environ.get("LOGIN_LIMIT_PER_PSEUDONYM", "10 per 15 minutes")
    REGISTER_LIMIT_PER_ADDRESS = os.environ.get("REGISTER_LIMIT_PER_ADDRESS", "10 per hour")
    RECOVER_LIMIT_PER_ADDRESS = os.environ.get("RECOVER_LIMIT_PER_ADDRESS", "10 per hour")

    # Live rooms. Per-member line rate (the benchmark raises it for its sender), and how long a
    # request to talk waits for a peer supporter before the member is told nobody is free.
    CHAT_LINES_PER_WINDOW = _env_int("CHAT_LINES_PER_WINDOW", 8)
    CHAT_WINDOW_SECONDS = _env_int("CHAT_WINDOW_SECONDS", 10)
    PEER_REQUEST_TIMEOUT_SECONDS = _env_int("PEER_REQUEST_TIMEOUT_SECONDS", 300)

    # Crisis routing: escalation deadlines for unclaimed flags, the claim-time target the
    # dashboard measures against, how many open crisis items one peer may hold, and how long a
    # peer who closed every duty tab stays on duty.
    ESCALATE_L3_SECONDS = _env_int("ESCALATE_L3_SECONDS", 120)
    ESCALATE_L2_SECONDS = _env_int("ESCALATE_L2_SECONDS", 600)
    CLAIM_TARGET_SECONDS = _env_int("CLAIM_TARGET_SECONDS", 300)
    PEER_MAX_OPEN = _env_int("PEER_MAX_OPEN", 3)
    DUTY_GRACE_SECONDS = _env_int("DUTY_GRACE_SECONDS", 120)

    # Socket.IO. threading needs nothing but simple-websocket and runs anywhere; production
    # picks gevent (see the benchmark figures in ../shared/bench/README.md).
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "threading")
    # Several workers: Redis carries every emit to the worker holding the recipient's socket.
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("REDIS_URL") or None

    # Number of reverse proxies in front of Kindred (nginx, HAProxy): their X-Forwarded-* headers
    # are trusted, and the client address they pass on only feeds the rate-limit hash.
    TRUSTED_PROXY_COUNT = _env_int("TRUSTED_PROXY_COUNT", 0)

    SEND_HSTS = False
    DEMO_DATA = False
    # Background jobs (escalation, sweeps, retention) run in every server process, once per
    # period across them (services/workers.py). KINDRED_BACKGROUND_JOBS=0 turns the loop off in
    # a process (a benchmark, or a deployment that runs them in one dedicated process).
    BACKGROUND_JOBS = os.environ.get("KINDRED_BACKGROUND_JOBS", "1") != "0"
    # Public pages (/, a category, a thread) built for readers who are not signed in are kept
    # this many seconds per worker and served again (app/web/microcache.py); 0 turns it off.
    ANON_PAGE_CACHE_SECONDS = _env_int("ANON_PAGE_CACHE_SECONDS", 2)


class DevConfig(Config):
    ENV_NAME = "development"
    DEMO_DATA = True
    ANON_PAGE_CACHE_SECONDS = 0  # see template changes at once


class TestConfig(Config):
    ENV_NAME = "test"
    TESTING = True
    ANON_PAGE_CACHE_SECONDS = 0  # tests/test_microcache.py turns it on
    # Cheap argon2 so the suite stays fast; still argon2id, still real hashing.
    ARGON2_MEMORY_KIB = 1024
    ARGON2_TIME_COST = 1
    ARGON2_PARALLELISM = 1
    WTF_CSRF_ENABLED = True  # tests fetch the token from the page like a browser does


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_NAME = "__Host-kindred"  # __Host-: Secure, Path=/, no Domain
    SESSION_COOKIE_SECURE = True
    SEND_HSTS = True
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "gevent")


CONFIGS = {
    "development": DevConfig,
    "test": TestConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    name = os.environ.get("KINDRED_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise SystemExit(f"KINDRED_ENV must be one of {', '.join(CONFIGS)}, not {name!r}")


def resolve_secret_key(config: type[Config] | dict) -> str:
    """The secret key: from the environment, or (outside production) one kept in instance/."""
    get = config.get if isinstance(config, dict) else lambda k, d=None: getattr(config, k, d)
    key = get("SECRET_KEY")
    if key:
        return key
    if get("ENV_NAME") == "production":
        raise SystemExit("SECRET_KEY must be set in production (a long random string).")
    if get("ENV_NAME") == "test":
        return secrets.token_hex(32)
    INSTANCE.mkdir(parents=True, exist_ok=True)
    path = INSTANCE / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
