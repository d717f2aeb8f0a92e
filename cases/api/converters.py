"""Path converters for database ids.

``<int:...>`` accepts any number of digits and lets a 30-digit id reach the database, where it
overflows the 64-bit integer column (a 500 on SQLite and PostgreSQL alike). ``<dbid:...>``
takes at most 18 digits, so any id that can match is a valid bigint and a longer one is a
plain 404.
"""

from django.urls import register_converter

MAX_DB_ID = 999_999_999_999_999_999


class DatabaseIdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(DatabaseIdConverter, "dbid")

# For drf-spectacular's PATH_CONVERTER_OVERRIDES.
DBID_SCHEMA = {"type": "integer", "minimum": 0, "maximum": MAX_DB_ID}
