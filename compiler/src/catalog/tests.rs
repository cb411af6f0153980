//! Tests: catalog snapshot texts (Glue JSON, kpi YAML) → tables, and the exact place of every
//! diagnostic.

use super::*;

/// What `aws glue get-tables --database-name app_logs` prints, extra fields included.
const GLUE: &str = r#"{
    "TableList": [
        {
            "Name": "events",
            "DatabaseName": "app_logs",
            "Description": "Application logs \"raw\" \u00e9 \/ path",
            "Owner": "owner",
            "CreateTime": "2024-01-02T10:11:12+01:00",
            "UpdateTime": "2024-03-02T10:11:12+01:00",
            "LastAccessTime": "2024-03-02T10:11:12+01:00",
            "Retention": 0,
            "StorageDescriptor": {
                "Columns": [
                    {
                        "Name": "event_id",
                        "Type": "string"
                    },
                    {
                        "Name": "Context",
                        "Type": "struct<client:string,ip:string>",
                        "Comment": "from crawler"
                    }
                ],
                "Location": "s3://lake/app_logs/events/",
                "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
                "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
                "Compressed": false,
                "NumberOfBuckets": -1,
                "SerdeInfo": {
                    "SerializationLibrary": "org.openx.data.jsonserde.JsonSerDe",
                    "Parameters": {
                        "paths": "context,event_id"
                    }
                },
                "BucketColumns": [],
                "SortColumns": [],
                "Parameters": {
                    "averageRecordSize": "120",
                    "classification": "json",
                    "compressionType": "gzip",
                    "typeOfData": "file"
                },
                "StoredAsSubDirectories": false
            },
            "PartitionKeys": [
                {
                    "Name": "dt",
                    "Type": "string"
                }
            ],
            "TableType": "EXTERNAL_TABLE",
            "Parameters": {
                "CrawlerSchemaDeserializerVersion": "1.0",
                "CrawlerSchemaSerializerVersion": "1.0",
                "UPDATED_BY_CRAWLER": "lake-crawler",
                "averageRecordSize": "120",
                "classification": "json",
                "compressionType": "gzip",
                "objectCount": "42",
                "recordCount": "1000",
                "sizeKey": "123456",
                "typeOfData": "file"
            },
            "CreatedBy": "arn:aws:sts::123456789012:assumed-role/AWSGlueServiceRole/AWS-Crawler",
            "IsRegisteredWithLakeFormation": false,
            "CatalogId": "123456789012",
            "VersionId": "3",
            "IsMultiDialectView": false
        }
    ]
}
"#;

const YAML: &str = "\
databases:
  app_logs:
    clicks:
      description: Clicks
      location: s3://lake/app_logs/clicks/
      format: parquet
      columns:
        Click_ID: bigint
        amount: {type: 'decimal(10,2)', comment: In euros}
      partition_keys:
        dt: string
      parameters: {classification: parquet}
  master:
    companies:
      format: json
      columns:
        company_id: bigint
";

/// Code, line and column of each diagnostic.
type Places = Vec<(String, usize, usize)>;

fn parse(files: &[(&str, &str)]) -> (Sources, Catalog, Places, Vec<Diagnostic>) {
    let mut sources = Sources::new();
    let ids: Vec<FileId> = files
        .iter()
        .map(|(name, text)| sources.add(*name, *text))
        .collect();
    let (catalog, diagnostics) = parse_catalog(&sources, &ids);
    let places = diagnostics
        .iter()
        .map(|d| {
            let l = d
                .primary
                .as_ref()
                .map_or(Span::new(FileId(0), 0, 0), |l| l.span);
            let at = sources.line_col(l.file, l.start);
            (d.code.0.to_string(), at.line, at.column)
        })
        .collect();
    (sources, catalog, places, diagnostics)
}

#[test]
fn reads_real_glue_output() {
    let (sources, catalog, places, _) = parse(&[("app_logs.json", GLUE)]);
    assert_eq!(places, []);
    assert_eq!(catalog.table_names(), ["app_logs.events"]);
    let t = catalog.table("app_logs", "EVENTS").unwrap();
    assert_eq!(t.format, TableFormat::Json);
    assert_eq!(t.location.as_deref(), Some("s3://lake/app_logs/events/"));
    assert_eq!(
        t.description.as_deref(),
        Some("Application logs \"raw\" \u{e9} / path")
    );
    assert_eq!(
        t.parameters.get("classification").map(String::as_str),
        Some("json")
    );
    assert_eq!(sources.slice(t.name_span), "\"events\"");
    let names: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["event_id", "context"]);
    assert_eq!(t.partition_keys[0].name, "dt");
    assert_eq!(
        t.column("Context").map(|c| c.ty.to_string()).as_deref(),
        Some("struct<client:string,ip:string>")
    );
    assert_eq!(
        t.column("context").and_then(|c| c.comment.as_deref()),
        Some("from crawler")
    );
    assert_eq!(t.column("dt").map(|c| &c.ty), Some(&Type::String));
    assert!(t.column("nope").is_none());
}

#[test]
fn bad_glue_type_points_into_the_string() {
    let text = GLUE.replace("ip:string", "ip:strng");
    let (_, catalog, places, diags) = parse(&[("app_logs.json", &text)]);
    // `"struct<client:string,ip:strng>"` opens at column 33 of line 20; `strng` is 25 bytes in.
    assert_eq!(places, [("E0113".to_string(), 20, 33 + 1 + 24)]);
    assert!(
        diags[0]
            .primary
            .as_ref()
            .unwrap()
            .message
            .contains("did you mean `string`")
    );
    let t = catalog.table("app_logs", "events").unwrap();
    assert_eq!(t.column("context").map(|c| &c.ty), Some(&Type::Unknown));
}

#[test]
fn glue_formats_and_missing_names() {
    let text = GLUE
        .replace(
            "org.openx.data.jsonserde.JsonSerDe",
            "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        )
        .replace(
            "\"classification\": \"json\"",
            "\"classification\": \"parquet\"",
        );
    let (_, catalog, _, _) = parse(&[("a.json", &text)]);
    assert_eq!(
        catalog.table("app_logs", "events").map(|t| &t.format),
        Some(&TableFormat::Parquet)
    );
    let text = GLUE.replace("\"DatabaseName\": \"app_logs\",", "");
    let (_, catalog, places, _) = parse(&[("a.json", &text)]);
    assert_eq!(places, [("E0112".to_string(), 3, 9)]);
    assert!(catalog.tables.is_empty());
}

#[test]
fn reads_kpi_yaml() {
    let (sources, catalog, places, _) = parse(&[("c.yaml", YAML)]);
    assert_eq!(places, []);
    assert_eq!(
        catalog.table_names(),
        ["app_logs.clicks", "master.companies"]
    );
    let t = catalog.table("app_logs", "clicks").unwrap();
    assert_eq!(t.format, TableFormat::Parquet);
    assert_eq!(t.columns[0].name, "click_id");
    assert_eq!(sources.slice(t.columns[0].span), "Click_ID");
    assert_eq!(
        t.columns[1].ty,
        Type::Decimal {
            precision: 10,
            scale: 2
        }
    );
    assert_eq!(t.columns[1].comment.as_deref(), Some("In euros"));
    assert!(t.is_partitioned());
    assert!(
        !catalog
            .table("master", "companies")
            .unwrap()
            .is_partitioned()
    );
}

#[test]
fn kpi_yaml_mistakes_are_all_reported() {
    let text = YAML
        .replace(
            "format: parquet\n      columns",
            "format: parket\n      colums",
        )
        .replace(
            "company_id: bigint",
            "company_id: bigint\n        Company_Id: int\n        x: 'map<int'",
        );
    let (_, _, places, diags) = parse(&[("c.yaml", &text)]);
    let expected = [
        ("E0116", 7, 7),
        ("E0117", 6, 15),
        ("E0112", 3, 5),
        ("E0115", 18, 9),
        ("E0113", 19, 20),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|&(c, l, col)| (c.to_string(), l, col))
        .collect();
    assert_eq!(places, expected);
    assert_eq!(diags[0].help.as_deref(), Some("Did you mean `columns`?"));
    assert_eq!(diags[1].help.as_deref(), Some("Did you mean `parquet`?"));
}

#[test]
fn glue_locations_are_checked_at_the_offending_character() {
    let located = |location: &str| {
        let text = GLUE.replace("s3://lake/app_logs/events/", location);
        let (_, catalog, places, diags) = parse(&[("app_logs.json", &text)]);
        let location = catalog
            .table("app_logs", "events")
            .and_then(|t| t.location.clone());
        (places, location, diags)
    };
    // The location's value starts at column 30 of line 24, after its opening quote.
    let (places, location, _) = located("s3://lake/app_logs/../../pwned/");
    assert_eq!(places, [("E0119".to_string(), 24, 30 + 19)]);
    assert_eq!(location, None);
    let (places, _, _) = located("s3://lake/app_logs/ev'ents/");
    assert_eq!(places, [("E0119".to_string(), 24, 30 + 21)]);
    let (places, _, _) = located("s3://Lake/app_logs/events/");
    assert_eq!(places, [("E0119".to_string(), 24, 30 + 5)]);
    // Escaped in the JSON text: the whole string, quotes included, is pointed at.
    let (places, _, _) = located("s3://lake/app_logs/ev\\ents/");
    assert_eq!(places, [("E0119".to_string(), 24, 29)]);
    // No trailing slash: read as the folder, with a warning at the end of the value.
    let (places, location, diags) = located("s3://lake/app_logs/events");
    assert_eq!(places, [("W0101".to_string(), 24, 30 + 25)]);
    assert_eq!(location.as_deref(), Some("s3://lake/app_logs/events/"));
    assert!(!diags[0].is_error());
    // A view has an empty location: no location, no diagnostic.
    let (places, location, _) = located("");
    assert_eq!((places, location), (vec![], None));
}

#[test]
fn catalog_names_with_hidden_characters_are_refused_where_they_are() {
    let text = GLUE.replace("\"Name\": \"event_id\"", "\"Name\": \"event\\u0001id\"");
    let (_, catalog, places, _) = parse(&[("app_logs.json", &text)]);
    // At the `\u0001` that wrote it.
    assert_eq!(places, [("E0120".to_string(), 15, 34 + 5)]);
    assert!(
        catalog
            .table("app_logs", "events")
            .unwrap()
            .column("event\u{1}id")
            .is_none()
    );
    let yaml = YAML.replace("company_id: bigint", "\"company\\u200eid\": bigint");
    let (_, _, places, _) = parse(&[("c.yaml", &yaml)]);
    assert_eq!(places, [("E0120".to_string(), 17, 10 + 7)]);
    let text = GLUE.replace("ip:string", "`i\\u0007p`:string");
    let (_, _, places, diags) = parse(&[("app_logs.json", &text)]);
    assert_eq!(
        places.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(),
        ["E0113"]
    );
    let label = &diags[0].primary.as_ref().unwrap().message;
    assert_eq!(label, "U+0007 is a control or formatting character");
}

#[test]
fn duplicate_tables_across_files() {
    let (_, catalog, places, diags) = parse(&[("a.json", GLUE), ("b.json", GLUE)]);
    assert_eq!(places, [("E0114".to_string(), 4, 21)]);
    assert_eq!(diags[0].secondary[0].span.file, FileId(0));
    assert_eq!(catalog.tables.len(), 1);
}

#[test]
fn not_a_catalog_and_syntax_errors() {
    let (_, _, places, _) = parse(&[
        ("a.json", "{\"Table\": {}}"),
        ("b.json", "{\"TableList\": [}"),
    ]);
    assert_eq!(
        places,
        [("E0111".to_string(), 1, 2), ("E0110".to_string(), 1, 15)]
    );
}

#[test]
fn serializes_to_json() {
    let (_, catalog, _, _) = parse(&[("c.yaml", YAML)]);
    let json = serde_json::to_value(&catalog).unwrap();
    assert_eq!(json["tables"][0]["name"], "clicks");
}

#[test]
fn garbage_never_panics() {
    let samples = [
        "",
        "[]",
        "TableList: 3",
        "TableList: [1, {}]",
        "{\"TableList\": [{\"Name\": 1}]}",
        "databases: [1]",
        "databases:\n  a: 1\n",
        "databases:\n  a:\n    b: []\n",
        "databases:\n  'a b':\n    c: {}\n",
        "{\"TableList\": [{\"Name\": \"t\", \"DatabaseName\": \"d\", \"StorageDescriptor\": {\"Columns\": [{\"Name\": \"a\"}, 3]}}]}",
    ];
    for text in samples {
        let (_, _, places, _) = parse(&[("g", text)]);
        assert!(!places.is_empty(), "{text:?}");
    }
    let mut seed: u64 = 7;
    for round in 0..300 {
        let mut bytes = if round % 2 == 0 { GLUE } else { YAML }.as_bytes().to_vec();
        for _ in 0..3 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let i = (seed >> 20) as usize % bytes.len();
            bytes[i] = b" :,[{}\"'<>x\n"[(seed >> 40) as usize % 12];
        }
        let _ = parse(&[("g", &String::from_utf8_lossy(&bytes))]);
    }
}
