// Package inputs_test checks what every procedure accepts, through the
// declarations alone (no database, no PDP): the JSON Schema validation and
// decoding the pipeline runs before any work, its wording, and a fuzz test
// with a committed corpus over every procedure's decoder.
package inputs_test
