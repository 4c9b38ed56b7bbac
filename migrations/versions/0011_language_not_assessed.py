"""language not assessed: posts, chat lines and flags written in a language the English-only
crisis detector doesn't read

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    for table in ('post', 'chat_message', 'flag'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('language_not_assessed', sa.Boolean(), nullable=False,
                                          server_default=sa.false()))


def downgrade():
    for table in ('flag', 'chat_message', 'post'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('language_not_assessed')
