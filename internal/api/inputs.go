package api

// GetInput names one record by its id (or, where the domain has one, its
// human number such as CASE-2026-7).
type GetInput struct {
	ID string `json:"id" jsonschema:"minLength=1,maxLength=100"`
}
