"""Placeholder smoke test, replaced by the full suites."""

from golocal.db.usage import count_usage_buckets


def test_empty_database_has_no_usage(database):
    assert count_usage_buckets(database) == 0
