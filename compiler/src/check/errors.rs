//! Check errors as data (spans, names, candidates, types), and their wording: the one place
//! where what the checker finds becomes words.

use super::names::{ATTEMPTS_SUFFIX, GENERATED_PREFIX, MAX_NAME_LEN, NameRole, Reserved};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::span::Span;
use crate::types::Type;

#[derive(Clone, Debug, PartialEq)]
pub enum CheckError {
    UnknownRelation {
        span: Span,
        name: String,
        candidates: Vec<String>,
    },
    UnknownColumn {
        span: Span,
        name: String,
        relation: Option<String>,
        candidates: Vec<String>,
    },
    UnknownAlias {
        span: Span,
        name: String,
        candidates: Vec<String>,
    },
    AmbiguousColumn {
        span: Span,
        name: String,
        relations: Vec<String>,
    },
    DuplicateAlias {
        span: Span,
        name: String,
        first: Span,
    },
    UnknownField {
        span: Span,
        name: String,
        ty: Type,
        candidates: Vec<String>,
    },
    UnknownFunction {
        span: Span,
        name: String,
        candidates: Vec<String>,
    },
    MeasureNotYetDefined {
        span: Span,
        name: String,
        defined: Span,
    },
    RelationAsValue {
        span: Span,
        name: String,
    },
    UnknownOutput {
        span: Span,
        name: String,
        candidates: Vec<String>,
    },
    OperandType {
        span: Span,
        op: String,
        expected: &'static str,
        found: Type,
    },
    NotBoolean {
        span: Span,
        context: &'static str,
        found: Type,
    },
    ArgumentCount {
        span: Span,
        function: String,
        expected: String,
        found: usize,
    },
    ArgumentType {
        span: Span,
        function: String,
        expected: &'static str,
        found: Type,
    },
    JoinKeyMismatch {
        span: Span,
        left: Type,
        right: Type,
    },
    Incomparable {
        span: Span,
        left: Type,
        right: Type,
    },
    MisplacedAggregate {
        span: Span,
        function: String,
        context: &'static str,
    },
    BareColumnMeasure {
        span: Span,
        column: String,
    },
    NestedAggregate {
        span: Span,
        function: String,
    },
    NonAdditiveSum {
        span: Span,
        function: String,
        measure: String,
        kpi: String,
        reason: String,
    },
    MixedCheck {
        span: Span,
        column: String,
    },
    /// A second `const` of a name.
    DuplicateConstant {
        span: Span,
        name: String,
        first: Span,
    },
    /// A name that is both a constant and a column, alias or output in scope.
    ConstantShadowed {
        span: Span,
        name: String,
        constant: Span,
    },
    /// A conversion that no value of its argument's type survives.
    ImpossibleCast {
        span: Span,
        function: String,
        from: Type,
        to: Type,
    },
    /// A percentile's fraction that is not a literal from 0 to 1.
    PercentileFraction {
        span: Span,
        function: String,
    },
    MisplacedAggregateSyntax {
        span: Span,
        what: &'static str,
        function: String,
    },
    WindowOnUnpartitioned {
        span: Span,
        source: String,
    },
    InvalidWindow {
        span: Span,
        reason: String,
    },
    DuplicateKpi {
        span: Span,
        name: String,
        first: Span,
    },
    Cycle {
        span: Span,
        path: Vec<String>,
    },
    DuplicateOutput {
        span: Span,
        name: String,
        first: Span,
    },
    KpiShadowsSource {
        span: Span,
        name: String,
    },
    NoMeasure {
        span: Span,
        name: String,
    },
    ReservedName {
        span: Span,
        name: String,
        reserved: Reserved,
        role: NameRole,
    },
    GroupByWithoutName {
        span: Span,
    },
    BranchTypes {
        span: Span,
        first: Type,
        this: Type,
    },
    NullComparison {
        span: Span,
        negated: bool,
    },
    InvalidOutputName {
        span: Span,
        name: String,
    },
}

fn suggestion(name: &str, candidates: &[String]) -> Option<String> {
    did_you_mean(name, candidates.iter().map(String::as_str))
}

fn list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl CheckError {
    pub fn to_diagnostic(&self) -> Diagnostic {
        use CheckError::*;
        match self {
            UnknownRelation { span, name, candidates } => {
                let d = Diagnostic::error("E0201", format!("unknown source or KPI `{name}`"))
                    .label(*span, "no source in kpi.yaml and no KPI has this name");
                match suggestion(name, candidates) {
                    Some(s) => d.help(format!("Did you mean `{s}`?")),
                    None => d.help("Declare the source under `sources:` in kpi.yaml, or define a KPI with this name."),
                }
            }
            UnknownColumn { span, name, relation, candidates } => {
                let title = match relation {
                    Some(r) => format!("unknown column `{name}` in `{r}`"),
                    None => format!("unknown column `{name}`"),
                };
                let label = match relation {
                    Some(r) => format!("`{r}` has no column of this name"),
                    None => "no relation in scope has a column of this name".to_string(),
                };
                let d = Diagnostic::error("E0202", title).label(*span, label);
                match suggestion(name, candidates) {
                    Some(s) => d.help(format!("Did you mean `{s}`?")),
                    None => d.help("Check the column names in the catalog snapshot."),
                }
            }
            UnknownAlias { span, name, candidates } => {
                let d = Diagnostic::error("E0203", format!("unknown relation alias `{name}`"))
                    .label(*span, "no relation in this KPI is called this");
                match suggestion(name, candidates) {
                    Some(s) => d.help(format!("Did you mean `{s}`?")),
                    None => d.help(format!("Refer to one of the relations in scope: {}.", list(candidates))),
                }
            }
            AmbiguousColumn { span, name, relations } => {
                Diagnostic::error("E0204", format!("ambiguous column `{name}`"))
                    .label(*span, format!("{} {} have a column `{name}`", list(relations), if relations.len() == 2 { "both" } else { "all" }))
                    .help(format!("Qualify the column, for example `{}.{name}`.", relations.first().map_or("e", String::as_str)))
            }
            DuplicateAlias { span, name, first } => Diagnostic::error("E0205", format!("`{name}` is used twice as a relation name"))
                .label(*span, "this relation has the same name as an earlier one")
                .secondary(*first, "the first one")
                .help("Give each relation its own alias, for example `join events c on …`."),
            UnknownField { span, name, ty, candidates } => {
                let d = Diagnostic::error("E0206", format!("unknown field `{name}`"))
                    .label(*span, format!("not a field of `{ty}`"));
                match suggestion(name, candidates) {
                    Some(s) => d.help(format!("Did you mean `{s}`?")),
                    None if candidates.is_empty() => d.help("Only struct columns have fields; use `[ ]` for arrays and maps."),
                    None => d.help(format!("Use one of the fields: {}.", list(candidates))),
                }
            }
            UnknownFunction { span, name, candidates } => {
                let d = Diagnostic::error("E0207", format!("unknown function `{name}`")).label(*span, "no function has this name");
                match suggestion(name, candidates) {
                    Some(s) => d.help(format!("Did you mean `{s}`?")),
                    None => d.help("See the list of functions in docs/language.md."),
                }
            }
            MeasureNotYetDefined { span, name, defined } => Diagnostic::error("E0208", format!("measure `{name}` is used before it is defined"))
                .label(*span, "this measure is defined further down")
                .secondary(*defined, "defined here")
                .help("Move this measure below the measures it uses."),
            RelationAsValue { span, name } => Diagnostic::error("E0209", format!("`{name}` is a relation, not a value"))
                .label(*span, "a relation cannot be used as a value")
                .help(format!("Name one of its columns, for example `{name}.member_id`.")),
            UnknownOutput { span, name, candidates } => {
                let d = Diagnostic::error("E0210", format!("unknown output column `{name}`"))
                    .label(*span, "checks see only the KPI's dimensions and measures");
                match suggestion(name, candidates) {
                    Some(s) => d.help(format!("Did you mean `{s}`?")),
                    None => d.help(format!("Use one of: {}.", list(candidates))),
                }
            }
            OperandType { span, op, expected, found } => {
                let (label, help) = if *expected == "conditions" {
                    (format!("this is `{found}`, not a condition"), "Compare the value, for example `x > 0` or `x is not null`.".to_string())
                } else if op == "+" && found.is_text() && !found.is_any() {
                    (format!("this is `{found}`, expected {expected}"), "Join text with `||`.".to_string())
                } else {
                    (format!("this is `{found}`, expected {expected}"), format!("Give `{op}` {expected}."))
                };
                Diagnostic::error("E0301", format!("`{op}` cannot take a value of type `{found}`"))
                    .label(*span, label)
                    .help(help)
            }
            NotBoolean { span, context, found } => Diagnostic::error("E0302", format!("{context} must be a condition"))
                .label(*span, format!("this is `{found}`, not `boolean`"))
                .help("Compare the value, for example `x > 0` or `x is not null`."),
            ArgumentCount { span, function, expected, found } => {
                Diagnostic::error("E0303", format!("`{function}` takes {expected}, not {found}"))
                    .label(*span, format!("{found} argument{} given", if *found == 1 { "" } else { "s" }))
                    .help(format!("Call `{function}` with {expected}."))
            }
            ArgumentType { span, function, expected, found } => {
                Diagnostic::error("E0304", format!("`{function}` expects {expected}"))
                    .label(*span, format!("this is `{found}`"))
                    .help(format!("Pass {expected} to `{function}`."))
            }
            JoinKeyMismatch { span, left, right } => Diagnostic::error("E0305", "join keys have different types")
                .label(*span, format!("`{left}` is joined to `{right}`"))
                .help(join_help(left, right)),
            Incomparable { span, left, right } => Diagnostic::error("E0306", format!("cannot compare `{left}` with `{right}`"))
                .label(*span, format!("a `{left}` is compared with a `{right}` here"))
                .help(join_help(left, right)),
            MisplacedAggregate { span, function, context } => Diagnostic::error("E0401", format!("aggregate `{function}` in {context}"))
                .label(*span, format!("{context} is evaluated row by row, before aggregation"))
                .help("Move the aggregate into a `measure`, or filter rows inside it: `count(* where …)`."),
            BareColumnMeasure { span, column } => Diagnostic::error("E0402", format!("measure uses column `{column}` outside an aggregate"))
                .label(*span, "a measure has one value per group, this column has one per row")
                .help(format!("Aggregate it, for example `sum({column})` or `count(distinct {column})`, since a measure has one value per group.")),
            NestedAggregate { span, function } => Diagnostic::error("E0403", format!("aggregate `{function}` inside another aggregate"))
                .label(*span, "aggregates cannot be nested")
                .help("Compute the inner aggregate in an upstream KPI and aggregate its output here."),
            NonAdditiveSum { span, function, measure, kpi, reason } => {
                Diagnostic::error("E0404", format!("`{function}` over `{kpi}.{measure}`, which is not additive"))
                    .label(*span, format!("`{measure}` is a distinct count, average, ratio or percentile, and {reason}"))
                    .help(format!("Group by all of `{kpi}`'s dimensions over one day, or compute the measure from the source rows with `count(distinct …)`."))
            }
            MixedCheck { span, column } => Diagnostic::error("E0405", format!("check mixes `{column}` with aggregates"))
                .label(*span, "this column has a value per row, the aggregate one per partition")
                .help("Write a row check (`check x > 0`) or a partition check over aggregates (`check count(*) > 0`), not both at once."),
            DuplicateConstant { span, name, first } => Diagnostic::error("E0620", format!("constant `{name}` is defined twice"))
                .label(*span, "defined again here")
                .secondary(*first, "first defined here")
                .help("Constants are shared by every file of the project: rename one, or keep a single definition."),
            ConstantShadowed { span, name, constant } => Diagnostic::error("E0621", format!("`{name}` is both a constant and a name of this KPI"))
                .label(*span, "a column, alias or output of this KPI has this name")
                .secondary(*constant, "the constant is defined here")
                .help(format!("Rename the constant (for example `{name}_value`), or qualify the column as `alias.{name}`.")),
            ImpossibleCast { span, function, from, to } => Diagnostic::error("E0310", format!("`{function}` cannot convert `{from}` to `{to}`"))
                .label(*span, format!("no `{from}` value has a `{to}` form"))
                .help(cast_help(from)),
            PercentileFraction { span, function } => Diagnostic::error("E0410", format!("the fraction of `{function}` must be a number from 0 to 1"))
                .label(*span, "expected a literal such as `0.5` or `0.9`")
                .help(format!("Write the fraction as a literal from 0 to 1 with at most six decimals: `{function}(x, 0.9)` is the 90th percentile.")),
            MisplacedAggregateSyntax { span, what, function } => Diagnostic::error("E0406", format!("`{what}` is not allowed in `{function}`"))
                .label(*span, format!("`{function}` does not take `{what}`"))
                .help(match *what {
                    "distinct" => "Use `distinct` only in `count(distinct …)`.",
                    "*" => "Use `*` only in `count(*)`.",
                    _ => "Filter rows with `where` only inside an aggregate, as in `count(* where …)`.",
                }),
            WindowOnUnpartitioned { span, source } => Diagnostic::error("E0501", format!("window over `{source}`, which is not partitioned by day"))
                .label(*span, "there are no days to slide over")
                .help("Remove the window, or declare the source as `events` or `snapshot` with its partition column in kpi.yaml."),
            InvalidWindow { span, reason } => Diagnostic::error("E0502", "invalid window")
                .label(*span, reason.clone())
                .help("Write a window such as `over 7 days` or `over 7 days ending day - 28`."),
            DuplicateKpi { span, name, first } => Diagnostic::error("E0601", format!("KPI `{name}` is defined twice"))
                .label(*span, "a KPI of this name already exists")
                .secondary(*first, "first defined here")
                .help("Rename one of them: KPI names are the output table names."),
            Cycle { span, path } => Diagnostic::error("E0602", "dependency cycle between KPIs")
                .label(*span, format!("this closes the cycle {}", path.join(" → ")))
                .help("Break the cycle: a KPI cannot read, directly or indirectly, its own output."),
            DuplicateOutput { span, name, first } => Diagnostic::error("E0603", format!("output column `{name}` is defined twice"))
                .label(*span, "this name is already used by a dimension or measure")
                .secondary(*first, "first defined here")
                .help("Give every dimension and measure its own name."),
            KpiShadowsSource { span, name } => Diagnostic::error("E0604", format!("KPI `{name}` has the name of a source"))
                .label(*span, "a source in kpi.yaml already has this name")
                .help("Rename the KPI so `from` and `join` are never ambiguous."),
            NoMeasure { span, name } => Diagnostic::error("E0605", format!("KPI `{name}` has no measure"))
                .label(*span, "nothing is measured here")
                .help("Add a measure, for example `measure events = count(*)`."),
            ReservedName { span, name, reserved, role } => reserved_name(*span, name, *reserved, role),
            BranchTypes { span, first, this } => Diagnostic::error("E0307", "`case` branches have different types")
                .label(*span, format!("this is `{this}`, an earlier branch is `{first}`"))
                .help("Give every branch a value of the same kind, converting with `to_string`, `to_double` or `to_bigint`."),
            NullComparison { span, negated } => Diagnostic::warning("W0301", "comparison with `null` is never true")
                .label(*span, "any comparison with null gives null, which filters the row out")
                .help(if *negated { "Write `is not null` to test for a value." } else { "Write `is null` to test for a missing value." }),
            InvalidOutputName { span, name } if name.len() > MAX_NAME_LEN => Diagnostic::error("E0608", "name too long for a table or column")
                .label(*span, format!("this name has {} characters, Glue names at most {MAX_NAME_LEN}", name.chars().count()))
                .help(format!("Choose a name of at most {MAX_NAME_LEN} characters.")),
            InvalidOutputName { span, name } => Diagnostic::error("E0608", format!("`{name}` cannot name a table or column"))
                .label(*span, "KPI, dimension and measure names become Athena table and column names")
                .help("Use lower-case letters, digits and `_`, starting with a letter or `_`."),
            GroupByWithoutName { span } => Diagnostic::error("E0607", "dimension needs a name")
                .label(*span, "only a plain column names itself")
                .help("Name the dimension: `group by weekday = day_of_week(e.ts)`."),
        }
    }
}

/// `dt` keeps the code it always had (E0606); the other reserved names share E0609.
fn reserved_name(span: Span, name: &str, reserved: Reserved, role: &NameRole) -> Diagnostic {
    let alias = matches!(role, NameRole::Alias { .. });
    let (code, title, label) = match reserved {
        Reserved::Day | Reserved::Attempt if alias => {
            let code = if reserved == Reserved::Day {
                "E0606"
            } else {
                "E0609"
            };
            (
                code,
                format!("`{name}` is reserved"),
                "generated queries read and write a column of this name".to_string(),
            )
        }
        Reserved::Day => (
            "E0606",
            format!("`{name}` is reserved"),
            "the partition column of every KPI table has this name".to_string(),
        ),
        Reserved::Attempt => (
            "E0609",
            format!("`{name}` is reserved"),
            "the attempt partition column of every KPI's attempts table has this name".to_string(),
        ),
        Reserved::GeneratedPrefix => (
            "E0609",
            format!("`{name}` starts with the reserved prefix `{GENERATED_PREFIX}`"),
            format!("generated queries name their own relations and columns `{GENERATED_PREFIX}…`"),
        ),
        Reserved::AttemptsTable => {
            let owner = &name[..name.len().saturating_sub(ATTEMPTS_SUFFIX.len())];
            (
                "E0609",
                format!("`{name}` ends with the reserved suffix `{ATTEMPTS_SUFFIX}`"),
                format!("a KPI `{owner}` writes its attempts to a table of this name"),
            )
        }
    };
    let help = match role {
        NameRole::Output {
            from_column: Some(column),
        } => format!("Name the dimension yourself, for example `group by other_name = {column}`."),
        NameRole::Output { from_column: None } => {
            "Choose another name for this column.".to_string()
        }
        NameRole::Alias { implicit: true } => {
            format!("Give the relation an alias of its own, for example `{name} r`.")
        }
        NameRole::Alias { implicit: false } => {
            "Choose another alias for this relation.".to_string()
        }
        NameRole::Kpi => format!("Choose a KPI name that does not end in `{ATTEMPTS_SUFFIX}`."),
    };
    Diagnostic::error(code, title).label(span, label).help(help)
}

fn join_help(left: &Type, right: &Type) -> String {
    use crate::types::Family;
    match (left.family(), right.family()) {
        (Family::Text, Family::Date) | (Family::Date, Family::Text) => "Convert the text to a date with `date(…)`.".into(),
        (Family::Text, Family::Integer) | (Family::Integer, Family::Text) => "Convert one side with `to_bigint(…)` or `to_string(…)`.".into(),
        _ => "Compare values of the same kind; convert one side with `to_bigint`, `to_double`, `to_string` or `date`.".into(),
    }
}

/// What to write instead of a conversion that cannot succeed.
fn cast_help(from: &Type) -> String {
    use crate::types::Family;
    match from.family() {
        Family::Timestamp => "For a part of a timestamp use `hour(ts)` or `date(ts)`; for the time between two, `seconds_between(a, b)`, `minutes_between` or `hours_between`.".into(),
        Family::Date => "For the days between two dates use `days_between(a, b)` or `a - b`; for the weekday, `day_of_week(d)`.".into(),
        Family::Array | Family::Map => "Read an element with `x[i]`, or count them with `cardinality(x)`.".into(),
        Family::Struct => "Read a field with `x.field`.".into(),
        _ => "Convert a value of a number, text or boolean type instead.".into(),
    }
}
