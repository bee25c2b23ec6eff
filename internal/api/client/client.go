// Package client is the Go client of the hestami API, driven by the
// procedure registry: it calls any registered procedure over the plain JSON
// transport and turns the canonical error envelope back into *apperr.Error.
package client

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/app"
	"github.com/hestami/concierge/internal/apperr"
)

// Client calls one server as one user in one organization.
type Client struct {
	BaseURL string // e.g. http://127.0.0.1:8080
	Token   string
	OrgID   string
	HTTP    *http.Client

	registry *api.Registry
}

// New returns a client for baseURL.
func New(baseURL, token, orgID string) *Client {
	return &Client{BaseURL: strings.TrimRight(baseURL, "/"), Token: token, OrgID: orgID, HTTP: http.DefaultClient, registry: app.Declarations()}
}

// Result carries what the server said besides the output.
type Result struct {
	Replayed bool
	TraceID  string
}

// Call invokes procedure ("case/v1/create") with in, decoding the output
// into out. Mutations use key as the idempotency key; an empty key gets a
// random one (so a caller that wants safe retries passes its own).
func (c *Client) Call(ctx context.Context, procedure string, in, out any, key string) (Result, error) {
	p, ok := c.registry.Lookup(procedure)
	if !ok {
		return Result{}, fmt.Errorf("client: unknown procedure %s", procedure)
	}
	if in == nil {
		in = struct{}{}
	}
	body, err := json.Marshal(in)
	if err != nil {
		return Result{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/api/v1/"+p.Path(), bytes.NewReader(body))
	if err != nil {
		return Result{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	req.Header.Set("X-Org-Id", c.OrgID)
	if p.Kind == api.Mutation {
		if key == "" {
			b := make([]byte, 16)
			_, _ = rand.Read(b)
			key = hex.EncodeToString(b)
		}
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return Result{}, apperr.Wrap(apperr.DependencyUnavailable, err, "the hestami server at %s is unreachable", c.BaseURL)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return Result{}, err
	}
	res := Result{Replayed: resp.Header.Get("Idempotent-Replayed") == "true", TraceID: resp.Header.Get("X-Trace-Id")}
	if resp.StatusCode != http.StatusOK {
		var env struct {
			Error struct {
				Code        apperr.Code         `json:"code"`
				Message     string              `json:"message"`
				FieldErrors []apperr.FieldError `json:"field_errors"`
			} `json:"error"`
		}
		if json.Unmarshal(raw, &env) != nil || env.Error.Code == "" {
			return res, fmt.Errorf("client: %s answered %d: %s", procedure, resp.StatusCode, raw)
		}
		fields := env.Error.FieldErrors
		if len(fields) == 0 {
			fields = nil
		}
		return res, &apperr.Error{Code: env.Error.Code, Message: env.Error.Message, Fields: fields}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return res, fmt.Errorf("client: decoding %s output: %w", procedure, err)
		}
	}
	return res, nil
}
