"""PostgreSQL full-text search over posts

The PostgreSQL twin of SQLite's FTS5 table post_fts (0002): one row per post holding a weighted
tsvector of its thread's title (A) and its body (B), with a GIN index. services.search keeps it
in step and queries it behind the same search() function. SQLite: nothing to do.

Revision ID: 0009
Revises: 0007
"""
from alembic import op


revision = '0009'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE TABLE post_search (
            post_id integer PRIMARY KEY REFERENCES post(id) ON DELETE CASCADE,
            vector tsvector NOT NULL
        )""")
    op.execute("CREATE INDEX ix_post_search_vector ON post_search USING gin (vector)")
    op.execute("""
        INSERT INTO post_search (post_id, vector)
        SELECT p.id, setweight(to_tsvector('english', t.title), 'A')
                     || setweight(to_tsvector('english', p.body_md), 'B')
        FROM post p JOIN thread t ON t.id = p.thread_id
        WHERE p.deleted_at IS NULL AND p.body_md <> ''""")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TABLE IF EXISTS post_search")
