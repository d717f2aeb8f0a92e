"""The event log refuses UPDATE and DELETE at the database level.

Auditors must be able to trust that no one, not even a bug or an administrator using the ORM,
rewrote a custody history. PostgreSQL gets a trigger function; SQLite a pair of triggers.
"""

from django.db import migrations


PG_FORWARD = """
CREATE OR REPLACE FUNCTION cases_event_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the event log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_event_log_no_update BEFORE UPDATE OR DELETE ON cases_eventlogentry
    FOR EACH ROW EXECUTE FUNCTION cases_event_log_append_only();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS cases_event_log_no_update ON cases_eventlogentry;
DROP FUNCTION IF EXISTS cases_event_log_append_only();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER cases_event_log_no_update BEFORE UPDATE ON cases_eventlogentry
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only: UPDATE refused'); END;""",
    """CREATE TRIGGER cases_event_log_no_delete BEFORE DELETE ON cases_eventlogentry
       BEGIN SELECT RAISE(ABORT, 'the event log is append-only: DELETE refused'); END;""",
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS cases_event_log_no_update;",
    "DROP TRIGGER IF EXISTS cases_event_log_no_delete;",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)
    elif vendor == "sqlite":
        for statement in SQLITE_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forward, backward)]
