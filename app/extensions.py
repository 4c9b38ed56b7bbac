"""Extensions, created unbound here and bound to an app in the factory."""

from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from app.services.ratelimit import client_key


class Base(DeclarativeBase):
    # Named constraints, so Alembic can alter them on SQLite (batch mode) and PostgreSQL alike.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


# expire_on_commit=False: after a commit, what a handler already loaded stays readable without a
# new query. Otherwise building the broadcast and the ack after committing a chat line opened a
# fresh transaction that stayed open across the Redis publish, and under load every worker's
# pool filled with "idle in transaction" connections (bench/prod/README.md). ORM-enabled
# update() statements still synchronise the objects they touch.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
csrf = CSRFProtect()
# The default key is a salted hash of the client address, never the address itself.
limiter = Limiter(key_func=client_key)
socketio = SocketIO()
