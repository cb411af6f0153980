#!/usr/bin/env python3
"""Trino DML check: every `;`-separated statement must parse with trino_query_parser.parse_statement
(Trino 422's ANTLR grammar; it upper-cases its input, which is fine for syntax). Backquoted
identifiers, which that grammar tokenizes but Trino rejects, count as invalid.

Run it through scripts/validate/run (the venv interpreter)."""

import sys

import _sqlcommon as c

if __name__ == "__main__":
    sys.exit(c.main(c.trino_problems, __doc__))
