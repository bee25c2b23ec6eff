package server

import (
	"github.com/hestami/concierge/internal/version"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
)

// OpenAPI generates the OpenAPI 3.1 document of the plain JSON transport
// from the registry: one POST operation per procedure, the input and output
// JSON Schemas the server validates with, and the declared errors.
func OpenAPI(r *api.Registry) (map[string]any, error) {
	paths := map[string]any{}
	tags := map[string]bool{}
	for _, p := range r.All() {
		tags[p.Namespace] = true
		params := []any{}
		if !p.NoOrg {
			params = append(params, map[string]any{"$ref": "#/components/parameters/OrgId"})
		}
		if p.Kind == api.Mutation {
			params = append(params, map[string]any{"$ref": "#/components/parameters/IdempotencyKey"})
		}
		responses := map[string]any{
			"200": map[string]any{"description": "OK", "content": map[string]any{"application/json": map[string]any{"schema": p.OutputSchema}}},
		}
		byStatus := map[int][]string{}
		// Besides the declared errors, any call may meet the transport's own.
		for _, c := range append(append([]apperr.Code{}, p.Errors...), apperr.Internal, apperr.PayloadTooLarge, apperr.UnsupportedMediaType) {
			st := apperr.SpecOf(c).HTTPStatus
			byStatus[st] = append(byStatus[st], string(c))
		}
		for st, codes := range byStatus {
			sort.Strings(codes)
			desc := http.StatusText(st) + ": " + strings.Join(codes, ", ")
			responses[strconv.Itoa(st)] = map[string]any{"description": desc,
				"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/ErrorEnvelope"}}}}
		}
		paths["/"+p.Path()] = map[string]any{"post": map[string]any{
			"operationId": p.OperationID(),
			"summary":     p.Summary,
			"description": "Kind: " + string(p.Kind) + ". Authorization: " + strings.Join(p.Actions, ", ") + " on " + p.Resource + " (Cerbos). Also served by the oRPC transport at /api/v1/rpc/" + p.Path() + ".",
			"tags":        []string{p.Namespace},
			"parameters":  params,
			"requestBody": map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": p.InputSchema}}},
			"responses":   responses,
		}}
	}
	tagList := []any{}
	for _, t := range sortedKeys(tags) {
		tagList = append(tagList, map[string]any{"name": t, "description": t + " procedures"})
	}
	codes := []string{}
	for _, c := range apperr.Codes() {
		codes = append(codes, string(c))
	}
	sort.Strings(codes)
	return map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":       "Hestami concierge API",
			"version":     version.Version,
			"description": "Plain JSON transport of the Hestami concierge procedures. Every mutation requires an Idempotency-Key (kept at least 24 hours). Request bodies are application/json, at most 10 MiB. The same procedures are served by an oRPC-compatible transport at /api/v1/rpc.",
			"license":     map[string]any{"name": "Proprietary", "identifier": "LicenseRef-Proprietary"},
		},
		"servers":  []any{map[string]any{"url": "/api/v1", "description": "this server"}},
		"security": []any{map[string]any{"bearerAuth": []any{}}},
		"tags":     tagList,
		"paths":    paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearerAuth": map[string]any{"type": "http", "scheme": "bearer", "description": "API token (hst_…)"}},
			"parameters": map[string]any{
				"OrgId": map[string]any{"name": "X-Org-Id", "in": "header", "required": true, "description": "the active organization",
					"schema": map[string]any{"type": "string", "format": "uuid"}},
				"IdempotencyKey": map[string]any{"name": "Idempotency-Key", "in": "header", "required": false,
					"description": "required for mutations unless the input carries idempotencyKey; same key and input replay the stored response",
					"schema":      map[string]any{"type": "string", "minLength": 1, "maxLength": 255}},
			},
			"schemas": map[string]any{
				"ErrorEnvelope": map[string]any{
					"type": "object", "required": []string{"error"}, "additionalProperties": false,
					"properties": map[string]any{"error": map[string]any{
						"type": "object", "additionalProperties": false,
						"required": []string{"code", "type", "message", "http_status", "field_errors", "trace_id", "retryable"},
						"properties": map[string]any{
							"code":        map[string]any{"type": "string", "enum": codes},
							"type":        map[string]any{"type": "string"},
							"message":     map[string]any{"type": "string"},
							"http_status": map[string]any{"type": "integer"},
							"trace_id":    map[string]any{"type": "string"},
							"retryable":   map[string]any{"type": "boolean"},
							"field_errors": map[string]any{"type": "array", "items": map[string]any{
								"type": "object", "additionalProperties": false, "required": []string{"field", "code", "message"},
								"properties": map[string]any{"field": map[string]any{"type": "string"}, "code": map[string]any{"type": "string"}, "message": map[string]any{"type": "string"}},
							}},
						},
					}},
				},
			},
		},
	}, nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
