"""Translates Athena (Trino) queries to DuckDB with sqlglot, for tests that compare the two.

usage: athena-to-duckdb.py FILE...   writes FILE.duckdb next to each input: the translation, or
nothing (an empty file) with a line `FILE: untranslatable: reason` on stdout when sqlglot cannot
translate it faithfully. Exit 0 unless a file cannot be read (2).
"""
import sys

import sqlglot
from sqlglot import exp


def elapsed_units(tree):
    """Trino's date_diff counts whole units elapsed; DuckDB's counts unit boundaries crossed
    (10:59 to 11:00 is one hour there, none in Trino), and sqlglot maps one to the other.
    DuckDB's date_sub is Trino's date_diff: translate to it."""
    for node in list(tree.find_all(exp.DateDiff)):
        unit = node.args.get("unit")
        name = unit.name if unit is not None else "DAY"
        node.replace(
            exp.Anonymous(
                this="DATE_SUB",
                expressions=[exp.Literal.string(name.lower()), node.expression, node.this],
            )
        )
    return tree


def main(paths):
    if not paths:
        print("usage: athena-to-duckdb.py FILE...", file=sys.stderr)
        return 2
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                sql = f.read()
        except OSError as e:
            print(f"{path}: {e}", file=sys.stderr)
            return 2
        out = ""
        try:
            trees = sqlglot.parse(sql, read="athena", error_level=sqlglot.ErrorLevel.RAISE)
            if len(trees) != 1 or trees[0] is None or isinstance(trees[0], exp.Command):
                raise ValueError("not a single parsed query")
            out = elapsed_units(trees[0]).sql(dialect="duckdb", unsupported_level=sqlglot.ErrorLevel.RAISE)
        except Exception as e:  # noqa: BLE001 - any failure means "cannot translate"
            print(f"{path}: untranslatable: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
            out = ""
        with open(path + ".duckdb", "w", encoding="utf-8") as f:
            f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
