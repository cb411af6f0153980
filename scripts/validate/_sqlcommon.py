"""Shared code of the SQL validators: statement splitting, the sqlglot `athena` check, the Trino check.

Each validator prints one line per problem, `FILE: statement N (line L): message`, and exits
0 when every file is valid, 1 when any is invalid, 2 on usage errors (including unreadable files).
"""

import contextlib
import io
import logging
import re
import sys

# sqlglot logs "contains unsupported syntax. Falling back to parsing as a 'Command'" as a warning;
# that case is reported as a problem below, so its log line is noise.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


def scan(text):
    """Yield (kind, start, end) segments of SQL text: kind is "code", "'", '"', "`" (quoted spans,
    doubled quote = escaped quote) or "comment" (`--` and `/* */`). An unterminated quote or
    comment runs to the end of the text."""
    i, n = 0, len(text)
    code_start = 0
    while i < n:
        c = text[i]
        if c in "'\"`":
            j = i + 1
            while j < n:
                if text[j] == c:
                    if text.startswith(c + c, j):
                        j += 2
                        continue
                    break
                j += 1
            kind, end = c, min(j + 1, n)
        elif text.startswith("--", i):
            j = text.find("\n", i)
            kind, end = "comment", (n if j < 0 else j)
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            kind, end = "comment", (n if j < 0 else j + 2)
        else:
            i += 1
            continue
        if code_start < i:
            yield "code", code_start, i
        yield kind, i, end
        i = code_start = end
    if code_start < n:
        yield "code", code_start, n


def split_statements(text):
    """Split SQL text on `;` outside string literals, quoted identifiers and comments.

    Returns [(first_line, statement_text)] with the 1-based line of the statement's first
    character, skipping chunks that hold only whitespace and comments.
    """
    cuts = [-1]
    for kind, a, b in scan(text):
        if kind == "code":
            cuts.extend(a + k for k, ch in enumerate(text[a:b]) if ch == ";")
    cuts.append(len(text))
    out = []
    for a, b in zip(cuts, cuts[1:]):
        chunk = text[a + 1 : b]
        if not strip_comments(chunk).strip():
            continue
        lead = len(chunk) - len(chunk.lstrip())
        out.append((text.count("\n", 0, a + 1 + lead) + 1, chunk.strip()))
    return out


def strip_comments(sql):
    """The statement with each comment replaced by a space."""
    return "".join(" " if k == "comment" else sql[a:b] for k, a, b in scan(sql))


def has_backquoted_identifier(sql):
    return any(k == "`" for k, _, _ in scan(sql))


def leading_words(sql, count=3):
    """The first `count` keywords of the statement, upper-cased, comments skipped."""
    return [w.upper() for w in re.findall(r"[A-Za-z_]+|\(", strip_comments(sql))[:count]]


_IDENT = r"(?:[A-Za-z_][A-Za-z0-9_]*|`[^`]+`)"
_MSCK = re.compile(r"\s*MSCK\s+REPAIR\s+TABLE\s+" + _IDENT + r"(?:\s*\.\s*" + _IDENT + r")?\s*", re.I)


def is_msck(sql):
    return bool(_MSCK.fullmatch(strip_comments(sql)))


def _line_offset(msg_line, first_line):
    return (msg_line or 1) + first_line - 1


def sqlglot_athena_problems(sql, first_line=1):
    """Problems found by sqlglot's `athena` dialect (Hive parser for DDL, Trino parser for DML).

    `MSCK REPAIR TABLE name` is the one statement sqlglot does not model (it becomes an opaque
    Command); it is checked here against Athena's documented grammar instead.
    """
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    if is_msck(sql):
        return []
    try:
        trees = sqlglot.parse(sql, read="athena", error_level=sqlglot.ErrorLevel.RAISE)
    except ParseError as e:
        probs = []
        for err in e.errors or []:
            line = _line_offset(err.get("line"), first_line)
            probs.append(f"line {line}:{err.get('col')}: sqlglot athena: {err.get('description')}")
        return probs or [f"sqlglot athena: {str(e).splitlines()[0]}"]
    except TokenError as e:
        return [f"sqlglot athena: {str(e).splitlines()[0][:200]}"]
    trees = [t for t in trees if t is not None]
    if len(trees) != 1:
        return [f"sqlglot athena: expected one statement, parsed {len(trees)}"]
    tree = trees[0]
    probs = []
    for cmd in tree.find_all(exp.Command):
        text = " ".join((strip_comments(sql) if cmd is tree else cmd.sql(dialect="athena")).split())
        probs.append(
            "sqlglot athena: not validated: parsed as an opaque Command (unsupported syntax): "
            + (text[:80] + "..." if len(text) > 80 else text)
        )
    probs.extend(_hive_ddl_shape_problems(tree))
    return probs


def _hive_ddl_shape_problems(tree):
    """What sqlglot's lenient Hive parser lets through but Athena rejects: a column without a
    type, and (EXTERNAL tables) partition columns without a type or without parentheses."""
    from sqlglot import exp

    if not isinstance(tree, exp.Create) or tree.expression is not None:
        return []
    probs = []

    def typed_columns(schema, what):
        for e in schema.expressions:
            if not isinstance(e, exp.ColumnDef) or e.args.get("kind") is None:
                probs.append(f"sqlglot athena: {what} {e.sql(dialect='athena')!r} has no type")

    if isinstance(tree.this, exp.Schema):
        typed_columns(tree.this, "column")
    props = tree.args.get("properties")
    props = props.expressions if props else []
    if any(isinstance(p, exp.ExternalProperty) for p in props):
        for p in props:
            if isinstance(p, exp.PartitionedByProperty):
                if isinstance(p.this, exp.Schema):
                    typed_columns(p.this, "partition column")
                else:
                    probs.append("sqlglot athena: PARTITIONED BY needs a parenthesized list of typed columns")
    return probs


def trino_problems(sql, first_line=1):
    """Problems found by trino-query-parser (Trino 422's ANTLR grammar)."""
    from trino_query_parser import TrinoSyntaxError, parse_statement

    probs = []
    if has_backquoted_identifier(sql):
        # The grammar has a token for them, but Trino rejects backquoted identifiers.
        probs.append("trino: backquoted identifiers are not supported")
    stderr = io.StringIO()
    try:
        with contextlib.redirect_stderr(stderr):  # ANTLR's lexer reports to stderr only
            parse_statement(sql)
    except TrinoSyntaxError as e:
        probs.append(f"line {_line_offset(e.line, first_line)}:{e.column}: trino: {e.msg[:200]}")
    except RecursionError:
        probs.append("trino: statement too deeply nested for the parser")
    if stderr.getvalue().strip():
        probs.append("trino: " + stderr.getvalue().strip().splitlines()[0])
    return probs


USAGE = "usage: {prog} FILE...\n{doc}"


def main(check, doc):
    """Run `check(statement, first_line) -> [problem]` on every statement of every file argument."""
    prog = sys.argv[0].rsplit("/", 1)[-1]
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(USAGE.format(prog=prog, doc=doc))
        return 0
    if args and args[0] == "--":
        args = args[1:]
    if not args or any(a.startswith("-") and a != "-" for a in args):
        print(USAGE.format(prog=prog, doc=doc), file=sys.stderr)
        return 2
    status = 0
    for path in args:
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            print(f"{path}: cannot read: {e}", file=sys.stderr)
            status = 2
            continue
        stmts = split_statements(text)
        if not stmts:
            print(f"{path}: no SQL statement")
            status = max(status, 1)
            continue
        for idx, (line, sql) in enumerate(stmts, 1):
            for prob in check(sql, line):
                print(f"{path}: statement {idx} (line {line}): {prob}")
                status = max(status, 1)
    return status
