"""Configuration from environment variables, with safe defaults for a laptop."""
import os
from pathlib import Path

# The repository root: templates/ and directory_data/ live beside the packages.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Config:
    """Read once when the app is created; tests pass overrides to create_app."""

    def __init__(self, instance_path: str):
        instance = Path(instance_path)
        self.SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-change-me")
        self.SQLALCHEMY_DATABASE_URI = os.environ.get(
            "BROKER_DATABASE_URL", f"sqlite:///{instance / 'broker.db'}"
        )
        self.BROKER_INDEX_DIR = os.environ.get("BROKER_INDEX_DIR", str(instance / "index"))
        # A listing not confirmed by its provider within this many days is flagged stale.
        self.BROKER_STALE_DAYS = int(os.environ.get("BROKER_STALE_DAYS", "30"))
        # Name of an online geopy geocoder to try after the shipped offline data; none by default.
        self.BROKER_GEOCODER = os.environ.get("BROKER_GEOCODER") or None

    def as_dict(self) -> dict:
        return {k: v for k, v in vars(self).items() if k.isupper()}
