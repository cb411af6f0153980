//! `kpi deploy`: create or update the project's state machine with Step Functions.

use super::{AwsArgs, aws_error};
use crate::error::CliError;
use crate::load::find_project;
use crate::output;
use kpi_aws::machine::{self, Deployment, Outcome};
use kpi_compiler::build::STATE_MACHINE_FILE;
use kpi_contract::manifest::Manifest;
use std::path::PathBuf;
use std::process::ExitCode;

/// Build the project, then create its state machine in Step Functions, or update it when the
/// definition changed (publishing a new version, so each execution is tied to the
/// definition it ran). An unchanged definition is left alone. `kpi build`'s SAM template
/// remains the way to deploy with SAM or CloudFormation, with the trigger and the role.
///
/// Example: `kpi deploy --project pipelines --role-arn arn:aws:iam::123456789012:role/kpi`
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The project directory (holding kpi.yaml). Default: the nearest one at or above the
    /// current directory.
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// The state machine's name (default: `kpi-<project>`, as in the SAM template).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// The IAM role the state machine runs as (the SAM template's role grants what it needs).
    #[arg(long, value_name = "ARN")]
    pub role_arn: String,
    /// Print how the deployed machine differs from the built one, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// The built project as Step Functions gets it: its machines, children first.
pub struct Built {
    pub manifest: Manifest,
    pub machines: Vec<BuiltMachine>,
    /// The top-level machine's name.
    pub name: String,
    /// Every file of the build, by its path under the output directory.
    pub files: std::collections::BTreeMap<String, String>,
}

pub struct BuiltMachine {
    pub name: String,
    /// The definition as built, its `${Name}`s not yet filled in.
    pub text: String,
    /// How the top-level machine refers to it; `None` for the top-level one.
    pub substitution: Option<String>,
}

impl Built {
    /// A machine's definition with kpi.yaml's substitutions and the children's ARNs (by
    /// their substitution names) filled in.
    pub fn definition(
        &self,
        machine: &BuiltMachine,
        arns: &std::collections::BTreeMap<String, String>,
    ) -> String {
        let mut manifest = self.manifest.clone();
        manifest.substitutions.extend(arns.clone());
        manifest.substitute(&machine.text)
    }
}

/// Builds the project and reads what deploying and running it needs.
pub fn built(
    project: Option<&std::path::Path>,
    name: Option<&str>,
) -> Result<Option<Built>, CliError> {
    let dir = find_project(project, None)?;
    let Some(compiled) = crate::commands::build::build_project(&dir, None)? else {
        return Ok(None);
    };
    let Some(artifacts) = &compiled.artifacts else {
        return Ok(None);
    };
    let text = |n: &str| artifacts.files.get(n).cloned().unwrap_or_default();
    let manifest = Manifest::parse(&text("manifest.json")).map_err(CliError::usage)?;
    let name = name.map_or_else(
        || kpi_contract::aws::state_machine_name(&manifest.project.project),
        str::to_string,
    );
    let mut machines: Vec<BuiltMachine> = manifest
        .machines
        .iter()
        .map(|m| BuiltMachine {
            name: format!("{name}{}", m.suffix),
            text: text(&m.file),
            substitution: m.substitution.clone(),
        })
        .collect();
    if machines.is_empty() {
        machines.push(BuiltMachine {
            name: name.clone(),
            text: text(STATE_MACHINE_FILE),
            substitution: None,
        });
    }
    machines.sort_by_key(|m| m.substitution.is_none());
    Ok(Some(Built {
        manifest,
        machines,
        name,
        files: artifacts.files.clone(),
    }))
}

pub fn run(args: Args) -> Result<ExitCode, CliError> {
    let Some(built) = built(args.project.as_deref(), args.name.as_deref())? else {
        return Ok(ExitCode::from(1));
    };
    let aws = args.aws.connect()?;
    // Children first: the top-level definition names their ARNs.
    let mut arns = std::collections::BTreeMap::new();
    for m in &built.machines {
        let definition = built.definition(m, &arns);
        let digest = machine::digest(&definition);
        let deployment = Deployment {
            name: m.name.clone(),
            definition,
            role_arn: args.role_arn.clone(),
            tags: [
                (
                    "kpi:project".to_string(),
                    built.manifest.project.project.clone(),
                ),
                ("kpi:fingerprint".to_string(), digest.clone()),
            ]
            .into_iter()
            .collect(),
            version_description: format!("kpi definition {digest}"),
        };
        let deployed = machine::find(&aws, &m.name).map_err(aws_error)?;
        if args.dry_run {
            output::print(&dry_run_text(&deployment, deployed.as_ref()))?;
            // A child not deployed yet has no ARN: the top level shows the name it will have.
            let arn = deployed.map_or_else(|| format!("(the ARN of {})", m.name), |d| d.arn);
            if let Some(sub) = &m.substitution {
                arns.insert(sub.clone(), arn);
            }
            continue;
        }
        let outcome = machine::deploy(&aws, &deployment, deployed.as_ref()).map_err(aws_error)?;
        let (line, arn) = match outcome {
            Outcome::Created { arn, version } => (
                format!(
                    "created {arn}{}\n",
                    version.map_or_else(String::new, |v| format!("\n  version {v}"))
                ),
                arn,
            ),
            Outcome::Updated { arn, version } => (
                format!(
                    "updated {arn}{}\n",
                    version.map_or_else(String::new, |v| format!("\n  version {v}"))
                ),
                arn,
            ),
            Outcome::Unchanged { arn, retagged } => (
                format!(
                    "unchanged {arn}{}\n",
                    if retagged { " (tags updated)" } else { "" }
                ),
                arn,
            ),
        };
        output::print(&line)?;
        if let Some(sub) = &m.substitution {
            arns.insert(sub.clone(), arn);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What a deploy would do: create, nothing, or these changes of the definition and role.
fn dry_run_text(d: &Deployment, deployed: Option<&machine::Deployed>) -> String {
    let Some(current) = deployed else {
        return format!(
            "would create {} ({} bytes of definition, role {})\n",
            d.name,
            d.definition.len(),
            d.role_arn
        );
    };
    let mut out = String::new();
    if current.role_arn != d.role_arn {
        out.push_str(&format!("role: {} → {}\n", current.role_arn, d.role_arn));
    }
    if !machine::same_definition(&current.definition, &d.definition) {
        let pretty = |t: &str| {
            serde_json::from_str::<serde_json::Value>(t)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .map_or_else(|| t.to_string(), |t| t + "\n")
        };
        let (a, b) = (pretty(&current.definition), pretty(&d.definition));
        let diff = similar::TextDiff::from_lines(&a, &b);
        out.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header("deployed", "built")
                .to_string(),
        );
    }
    for (k, v) in &d.tags {
        if current.tags.get(k) != Some(v) {
            out.push_str(&format!(
                "tag {k}: {} → {v}\n",
                current.tags.get(k).map_or("(none)", String::as_str)
            ));
        }
    }
    if out.is_empty() {
        format!("{} is up to date: {}\n", d.name, current.arn)
    } else {
        format!("would update {}:\n{out}", current.arn)
    }
}
