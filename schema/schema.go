// Package schema holds the JSON Schemas (draft 2020-12) of drainsim's file
// formats, for editors and for programs that read or write them:
//
//   - scenario.schema.json: scenario files (drainsim run, check);
//   - sweep.schema.json: sweep files (drainsim explore);
//   - outcome.schema.json: the object `drainsim run --format json` prints,
//     whose schema_version is model.OutcomeSchemaVersion.
//
// The parsers stay the authority: they also check what a schema cannot
// (names that refer to each other, ranges, a sweep's base scenario). The
// tests check that every example validates, that the schemas list exactly
// the fields the parsers accept, and that the outcome schema describes
// every field drainsim prints.
package schema

import "embed"

// FS holds the three schema files, so that a program using drainsim as a
// library can validate against the schemas of the version it links.
//
//go:embed *.schema.json
var FS embed.FS
