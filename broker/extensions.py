"""Flask extensions, created once and initialised in the app factory."""
from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_session import Session
from flask_sqlalchemy import SQLAlchemy
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from broker.config import PROJECT_ROOT

# Named constraints so Alembic migrations behave the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


# SQLite hands the id of the last row deleted to the next row inserted unless the table is
# AUTOINCREMENT. Tables whose ids are named elsewhere (pages and API addresses, vacancy
# files, referrals, consent, tokens, the audit log, histories ordered by id) use this, so
# an id once used never means another record. PostgreSQL sequences never reuse ids anyway.
# Rows only ever reached through their parent (locations, shares, preferences, a run's
# unmet needs, empty searches) do without it. Alembic cannot see AUTOINCREMENT when it
# rebuilds a SQLite table (batch mode), so a migration that rebuilds one of these tables
# passes `table_kwargs=NO_ID_REUSE`; tests/providers/test_intake_ids.py checks the schema.
NO_ID_REUSE = {"sqlite_autoincrement": True}


db = SQLAlchemy(model_class=Base)
migrate = Migrate(directory=str(PROJECT_ROOT / "broker" / "migrations"), render_as_batch=True)
login_manager = LoginManager()
csrf = CSRFProtect()
server_sessions = Session()
cors = CORS()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
talisman = Talisman()
