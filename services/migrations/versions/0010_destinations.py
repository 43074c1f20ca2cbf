"""remembered destinations

Fax numbers a household has sent to, remembered per household (number and
name encrypted, a keyed hash for de-duplication). Starts empty: numbers
already used are remembered the next time they are used.

Revision ID: 0010
Revises: 0009

(Written as 0008 on 0007; renumbered after 0009, votes, reached main first,
so that the history stays one line.)
Create Date: 2026-12-06 07:05:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('destinations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=8), nullable=False),
    sa.Column('number_enc', sa.Text(), nullable=False),
    sa.Column('number_hash', sa.String(length=64), nullable=False),
    sa.Column('label_enc', sa.Text(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('household_id', 'number_hash', name='uq_destination_number')
    )
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_destinations_household_id'), ['household_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('destinations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_destinations_household_id'))
    op.drop_table('destinations')
