#!/usr/bin/env python3
"""Athena DDL check: every `;`-separated statement must parse with sqlglot's `athena` dialect
(Hive parser for CREATE [EXTERNAL] TABLE / ALTER / DROP). A statement sqlglot can only keep as an
opaque Command is not validated and counts as invalid; so does a tokenizer error.
`MSCK REPAIR TABLE name` is checked against its documented grammar (sqlglot has no model of it).

Run it through scripts/validate/run (the venv interpreter)."""

import sys

import _sqlcommon as c

if __name__ == "__main__":
    sys.exit(c.main(c.sqlglot_athena_problems, __doc__))
