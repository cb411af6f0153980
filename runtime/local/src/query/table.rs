//! A query's rows → aligned text, RFC 4180 CSV or a JSON array.

use super::QueryError;

/// Each row as DuckDB's `to_json` wrote it, checked to be JSON, in one array.
pub(super) fn json_rows(table: &Table) -> Result<String, QueryError> {
    let mut out = String::from("[");
    for (i, row) in table.rows.iter().enumerate() {
        let text = row
            .first()
            .cloned()
            .flatten()
            .unwrap_or_else(|| "null".into());
        if let Err(e) = serde_json::from_str::<serde::de::IgnoredAny>(&text) {
            return Err(QueryError::Failed(format!(
                "row {} has no JSON form ({e}): NaN and infinite numbers have none; \
                 use --format csv, or turn them into NULL in the query",
                i + 1
            )));
        }
        out.push_str(if i == 0 { "\n  " } else { ",\n  " });
        out.push_str(&text);
    }
    out.push_str(if table.rows.is_empty() {
        "]\n"
    } else {
        "\n]\n"
    });
    Ok(out)
}

/// A result table: column names and rows of text (`NULL` as `None`).
#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl Table {
    /// RFC 4180 CSV with a header; NULL is an empty field.
    pub fn to_csv(&self) -> Result<String, QueryError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let csv_failed = |e: csv::Error| QueryError::Failed(format!("cannot write CSV: {e}"));
        writer.write_record(&self.columns).map_err(csv_failed)?;
        for row in &self.rows {
            writer
                .write_record(row.iter().map(|v| v.as_deref().unwrap_or("")))
                .map_err(csv_failed)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| QueryError::Failed(format!("cannot write CSV: {e}")))?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// Aligned columns, numbers to the right.
    pub fn to_text(&self) -> String {
        let cell = |v: &Option<String>| v.clone().unwrap_or_else(|| "NULL".into());
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.chars().count()).collect();
        for row in &self.rows {
            for (i, v) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(cell(v).chars().count());
                }
            }
        }
        let numeric: Vec<bool> = (0..self.columns.len())
            .map(|i| {
                self.rows.iter().all(|r| {
                    r.get(i)
                        .and_then(|v| v.as_ref())
                        .is_none_or(|v| v.parse::<f64>().is_ok())
                })
            })
            .collect();
        let line = |cells: Vec<String>| {
            cells
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let pad = widths[i].saturating_sub(c.chars().count());
                    if numeric[i] {
                        format!("{}{c}", " ".repeat(pad))
                    } else {
                        format!("{c}{}", " ".repeat(pad))
                    }
                })
                .collect::<Vec<_>>()
                .join("  ")
                .trim_end()
                .to_string()
        };
        let mut out = line(self.columns.clone());
        out.push('\n');
        out.push_str(
            &widths
                .iter()
                .map(|w| "-".repeat(*w))
                .collect::<Vec<_>>()
                .join("  "),
        );
        out.push('\n');
        for row in &self.rows {
            out.push_str(&line(row.iter().map(cell).collect()));
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting_and_json_refuses_nan() {
        let table = Table {
            columns: vec!["a".into(), "b".into()],
            rows: vec![
                vec![Some("x,y".into()), None],
                vec![Some("say \"hi\"".into()), Some("1".into())],
            ],
        };
        assert_eq!(
            table.to_csv().unwrap(),
            "a,b\n\"x,y\",\n\"say \"\"hi\"\"\",1\n"
        );
        let rows = Table {
            columns: vec!["j".into()],
            rows: vec![
                vec![Some("{\"a\":1}".into())],
                vec![Some("{\"a\":NaN}".into())],
            ],
        };
        let err = json_rows(&rows).unwrap_err().to_string();
        assert!(err.starts_with("row 2 has no JSON form"), "{err}");
    }
}
