"""Configuration from environment variables, with safe defaults for a laptop."""
import datetime as dt
import os
from pathlib import Path

from cachelib import FileSystemCache

# The repository root: templates/ and directory_data/ live beside the packages.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "dev-only-change-me"


class Config:
    """Read once when the app is created; tests pass overrides to create_app."""

    def __init__(self, instance_path: str):
        instance = Path(instance_path)
        env = os.environ.get
        self.SECRET_KEY = env("SECRET_KEY", DEV_SECRET_KEY)
        self.SQLALCHEMY_DATABASE_URI = env("BROKER_DATABASE_URL", f"sqlite:///{instance / 'broker.db'}")
        self.BROKER_INDEX_DIR = env("BROKER_INDEX_DIR", str(instance / "index"))
        # Seconds to wait for PostgreSQL to accept a connection before answering 503.
        self.BROKER_DB_CONNECT_TIMEOUT = int(env("BROKER_DB_CONNECT_TIMEOUT", "5"))
        # A listing not confirmed by its provider within this many days is flagged stale.
        self.BROKER_STALE_DAYS = int(env("BROKER_STALE_DAYS", "30"))
        # Name of an online geopy geocoder to try after the shipped offline data; none by default.
        self.BROKER_GEOCODER = env("BROKER_GEOCODER") or None
        # Days a provider has to answer a referral.
        self.BROKER_ANSWER_DAYS = int(env("BROKER_ANSWER_DAYS", "5"))
        # Days after a referral's answer-by date that an unanswered one keeps its place; then it lapses.
        self.BROKER_HOLD_GRACE_DAYS = int(env("BROKER_HOLD_GRACE_DAYS", "2"))
        # E-mail notifications go through this SMTP server (smtp://host:port, smtp+starttls://,
        # smtps://, with user:password@ if it needs them); unset, notices are in the app only.
        self.BROKER_SMTP_URL = env("BROKER_SMTP_URL") or None
        self.BROKER_MAIL_FROM = env("BROKER_MAIL_FROM", "broker@localhost")
        # The service's public address, for the links in e-mails (e.g. https://broker.example.org).
        self.BROKER_BASE_URL = env("BROKER_BASE_URL", "")
        # Months a young person's consent to share runs, from when it is given, unless they agree another date.
        self.BROKER_CONSENT_MONTHS = int(env("BROKER_CONSENT_MONTHS", "12"))
        # Largest request body (vacancy files): bigger gets a clear 413.
        self.MAX_CONTENT_LENGTH = int(float(env("BROKER_MAX_UPLOAD_MB", "2")) * 1_000_000)
        # API tokens expire after this many hours; signing out or DELETE /api/v1/auth/token ends them sooner.
        self.BROKER_TOKEN_HOURS = int(env("BROKER_TOKEN_HOURS", "8"))

        # Background jobs go to RQ on this Redis when set (run `broker worker`); without
        # it they run in a thread of the web process. BROKER_JOB_RUNNER overrides: rq | thread.
        self.BROKER_REDIS_URL = env("BROKER_REDIS_URL") or None
        self.BROKER_JOB_RUNNER = env("BROKER_JOB_RUNNER") or None
        # How often `broker worker` (or a serving process without Redis) runs the due jobs.
        self.BROKER_DUE_SECONDS = int(env("BROKER_DUE_SECONDS", "60"))
        # Days of listing changes kept for search indexes that were offline (older: rebuild).
        self.BROKER_CHANGE_LOG_DAYS = int(env("BROKER_CHANGE_LOG_DAYS", "7"))
        # How often a serving process's background thread checks its index against the log.
        self.BROKER_INDEX_FOLLOW_SECONDS = float(env("BROKER_INDEX_FOLLOW_SECONDS", "0.5"))

        # Server-side sessions, so a session ends for good at logout. Files under the
        # instance folder work for several processes on one machine; Redis for more.
        redis_url = env("BROKER_REDIS_URL")
        if redis_url:
            import redis

            self.SESSION_TYPE = "redis"
            self.SESSION_REDIS = redis.from_url(redis_url)
        else:
            self.SESSION_TYPE = "cachelib"
            self.SESSION_CACHELIB = FileSystemCache(str(instance / "sessions"), threshold=5000)
        self.SESSION_PERMANENT = False
        # Write a session to its store only when it changes: rewriting it on every request
        # measured ~4 ms a signed-in page with the file store (benchmarks/load.py).
        self.SESSION_REFRESH_EACH_REQUEST = False
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        # "1" or "0"; unset: Secure except in debug, tests and `broker serve` on a loopback
        # address (the embedded demo over plain http). See broker.security.secure_cookies.
        self.BROKER_SECURE_COOKIES = env("BROKER_SECURE_COOKIES")
        # A signed-in session ends after this long, however busy, and after this long idle.
        self.BROKER_SESSION_HOURS = float(env("BROKER_SESSION_HOURS", "8"))
        self.BROKER_SESSION_IDLE_MINUTES = float(env("BROKER_SESSION_IDLE_MINUTES", "30"))
        # How long the server keeps a session unused (refreshed by each request): the idle timeout.
        self.PERMANENT_SESSION_LIFETIME = dt.timedelta(minutes=self.BROKER_SESSION_IDLE_MINUTES)
        # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted (0: none).
        self.BROKER_PROXY_HOPS = int(env("BROKER_PROXY_HOPS", "0"))
        # Login rate limits are counted here; memory:// counts per process, so use
        # Redis (BROKER_REDIS_URL) when serving with several processes.
        self.RATELIMIT_STORAGE_URI = redis_url or "memory://"
        # Failed sign-ins allowed per address, counted over the sign-in page and the API together.
        self.BROKER_LOGIN_LIMIT = env("BROKER_LOGIN_LIMIT", "10 per minute")
        # Failed sign-ins in a row for one email before it is locked (1 min, doubling up to the maximum).
        self.BROKER_LOCKOUT_AFTER = int(env("BROKER_LOCKOUT_AFTER", "5"))
        self.BROKER_LOCKOUT_MAX_MINUTES = float(env("BROKER_LOCKOUT_MAX_MINUTES", "60"))

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
