#!/usr/bin/env python3
"""Athena SQL check, routing each `;`-separated statement as Athena does:
  DDL (CREATE [EXTERNAL] TABLE without AS, CREATE DATABASE/SCHEMA, ALTER, DROP, MSCK)
      -> sqlglot `athena` (Hive parser); opaque Command = invalid.
  everything else (SELECT, WITH, INSERT, CTAS, CREATE VIEW, MERGE, DELETE, ...)
      -> BOTH trino-query-parser and sqlglot `athena`.

Run it through scripts/validate/run (the venv interpreter)."""

import re
import sys

import _sqlcommon as c

_CTAS = re.compile(r"\bAS\s*(\(|SELECT\b|WITH\b|VALUES\b|TABLE\b)", re.I)


def is_ddl(sql):
    w = c.leading_words(sql, 4)
    if not w:
        return False
    if w[0] in ("ALTER", "DROP", "MSCK"):
        return True
    if w[0] != "CREATE":
        return False
    rest = w[1:]
    if rest[:2] == ["OR", "REPLACE"]:
        return False  # CREATE OR REPLACE VIEW: Trino
    if rest and rest[0] in ("DATABASE", "SCHEMA"):
        return True
    if rest and rest[0] == "EXTERNAL":
        return True
    if rest and rest[0] == "TABLE":
        # CTAS goes to Trino; a plain CREATE TABLE (Hive or Iceberg) is Hive DDL.
        code = "".join(
            " " if k == "comment" else ("''" if k == "'" else sql[a:b]) for k, a, b in c.scan(sql)
        )
        return not _CTAS.search(code)
    return False


def check(sql, first_line):
    if is_ddl(sql):
        return c.sqlglot_athena_problems(sql, first_line)
    return c.trino_problems(sql, first_line) + c.sqlglot_athena_problems(sql, first_line)


if __name__ == "__main__":
    sys.exit(c.main(check, __doc__))
