// Package app is the one place hestami is wired: database → PDP → workflow
// engine → domain services → procedure registry → pipeline. The CLI, `serve`,
// the test kit and the benchmark all build their stack here; nothing else
// constructs a domain service.
//
// Adding a domain area: give its package a Service with a Register method
// (api.Module; RegisterWorkflows too if it has durable procedures), then add
// one line to modules below.
package app

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/hestami/concierge/internal/action"
	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/casedetail"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/config"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/decision"
	"github.com/hestami/concierge/internal/delegation"
	"github.com/hestami/concierge/internal/directory"
	"github.com/hestami/concierge/internal/document"
	"github.com/hestami/concierge/internal/document/content"
	"github.com/hestami/concierge/internal/hoa"
	"github.com/hestami/concierge/internal/identity"
	"github.com/hestami/concierge/internal/intent"
	"github.com/hestami/concierge/internal/ownership"
	"github.com/hestami/concierge/internal/portfolio"
	"github.com/hestami/concierge/internal/property"
	"github.com/hestami/concierge/internal/quoteimport"
	"github.com/hestami/concierge/internal/vendor"
	"github.com/hestami/concierge/internal/workable"
	"github.com/hestami/concierge/internal/workflow"
	"github.com/hestami/concierge/migrations"
)

// App is a built hestami: its connections, its domain services and the
// pipeline that runs their procedures.
type App struct {
	DB          *db.DB
	PDP         authz.Decider
	Identity    *identity.Service
	Property    *property.Service
	Cases       *cases.Service
	CaseDetail  *casedetail.Service
	Portfolio   *portfolio.Service
	Ownership   *ownership.Service
	Action      *action.Service
	Intent      *intent.Service
	Delegation  *delegation.Service
	Decision    *decision.Service
	HOA         *hoa.Service
	Documents   *document.Service
	Vendor      *vendor.Service
	QuoteImport *quoteimport.Service
	Workable    *workable.Service
	Directory   *directory.Directory
	Registry    *api.Registry
	Invoker     *api.Invoker
	// Engine is the durable-workflow engine, nil until StartWorkflows.
	Engine *workflow.Engine
}

// modules lists every domain area, in registration order.
func (a *App) modules() []api.Module {
	return []api.Module{
		a.Property,
		a.Cases,
		a.Portfolio,
		a.Ownership,
		a.Action,
		a.Intent,
		a.Delegation,
		a.Decision,
		a.HOA,
		a.Documents,
		a.Vendor,
		a.QuoteImport,
		a.CaseDetail,
		a.Workable,
		a.Directory,
	}
}

// New builds the domain services over d and pdp and declares their
// procedures. Durable procedures answer only after StartWorkflows.
func New(d *db.DB, pdp authz.Decider) *App {
	a := &App{DB: d, PDP: pdp, Identity: identity.New(d),
		Property:   property.New(d, pdp),
		Cases:      cases.New(d, pdp, nil),
		Portfolio:  portfolio.New(d, pdp),
		Ownership:  ownership.New(d, pdp),
		Action:     action.New(d, pdp),
		Delegation: delegation.New(d, pdp),
		Decision:   decision.New(d, pdp),
		Documents:  document.New(d, pdp),
		Vendor:     vendor.New(d, pdp),
		Directory:  directory.New(d, pdp),
	}
	a.Vendor.RecordSelection = a.recordSelection
	a.QuoteImport = quoteimport.New(d, pdp, a.Vendor)
	a.Intent = intent.New(d, pdp, a.Cases)
	a.HOA = hoa.New(d, pdp, a.Cases)
	a.Cases.UseAuthority(a.Delegation)
	a.CaseDetail = casedetail.New(pdp, a.Cases, a.Decision)
	a.Workable = workable.New(a.Identity, pdp)
	a.Registry = api.NewRegistry(a.modules()...)
	a.Invoker = &api.Invoker{Registry: a.Registry, Identity: a.Identity, DB: d, Authority: a.Delegation}
	a.ConfigureImports(config.Imports{MaxBytes: quoteimport.DefaultMaxBytes})
	return a
}

// ConfigureImports gives the transports the size limit of an import's file
// (imports.max_bytes), apart from the documents' limit.
func (a *App) ConfigureImports(c config.Imports) {
	a.Invoker.Uploads.Procedures = map[string]api.Uploads{
		quoteimport.ImportProcedure: {MaxBytes: c.MaxBytes, Key: "imports.max_bytes"},
	}
}

// recordSelection writes the VENDOR_SELECTION decision of an accepted quote
// to the ledger, in the accept's transaction: the accept and its decision
// commit together or not at all. The ledger asks the PDP whether p may
// record it (a delegated agent needs a VENDOR_SELECTION grant on the
// property, as for the accept) and names the authority used.
func (a *App) recordSelection(ctx context.Context, q db.Querier, p authz.Principal, quote vendor.Quote, rationale string) error {
	scope := "the case"
	if quote.ScopeKey != "" {
		scope = "scope " + strconv.Quote(quote.ScopeKey)
	}
	_, err := a.Decision.RecordTx(ctx, q, p, decision.RecordInput{
		Category:  "VENDOR_SELECTION",
		CaseID:    quote.CaseID,
		Title:     "Selected " + quote.VendorName + " for " + scope,
		Summary:   "Accepted the quote of " + quote.Amount + " " + quote.Currency + " from " + quote.VendorName + " (" + quote.CaseNumber + ").",
		Rationale: rationale,
		Evidence:  []decision.Evidence{{Kind: "QUOTE", ID: quote.ID}},
	})
	return err
}

// ConfigureSLA gives the case service the configured SLA targets (by
// priority); services start with cases.DefaultTargets.
func (a *App) ConfigureSLA(targets map[string]config.SLATarget) error {
	t := cases.Targets{}
	for p, x := range targets {
		t[cases.Priority(p)] = cases.Target{Response: x.Response, Resolution: x.Resolution}
	}
	return a.Cases.SetTargets(t)
}

// ConfigureDocumentStore builds the configured content store and limit
// (config.Documents) and hands them to ConfigureDocuments. Upload spool
// files live beside the store's directory, on the same disk.
func (a *App) ConfigureDocumentStore(c config.Documents) error {
	var st content.Store
	switch c.Store {
	case "s3":
		s3, err := content.NewS3(content.S3Config{Endpoint: c.S3.Endpoint, Bucket: c.S3.Bucket, Region: c.S3.Region,
			AccessKey: c.S3.AccessKey, SecretKey: c.S3.SecretKey, Secure: !c.S3.Insecure, StagingDir: filepath.Join(c.Dir, "staging")})
		if err != nil {
			return err
		}
		st = s3
	default:
		st = content.NewDir(c.Dir)
	}
	spool := filepath.Join(c.Dir, "spool")
	if err := os.MkdirAll(spool, 0o700); err != nil {
		return fmt.Errorf("documents.dir: %w", err)
	}
	a.ConfigureDocuments(document.Config{Store: st, MaxBytes: c.MaxBytes}, spool)
	return nil
}

// ConfigureDocuments gives the document service its content store and
// size limit, and the transports the same limit for the files they spool
// (in the store's staging directory when it has one).
func (a *App) ConfigureDocuments(c document.Config, spoolDir string) {
	a.Documents.Configure(c)
	a.Invoker.Uploads.Dir, a.Invoker.Uploads.MaxBytes = spoolDir, a.Documents.MaxBytes()
}

// Operator is the identity service alone, for operator commands that need
// only the database (organizations, users, memberships, tokens).
func Operator(d *db.DB) *identity.Service { return identity.New(d) }

// Declarations is the registry without any dependency: what every procedure
// is (for the OpenAPI document, the Go client and CLI help). Its procedures
// must not be called. It is built once per process (building it derives
// every procedure's JSON Schema, which a client per organization would
// otherwise repeat) and must not be modified.
func Declarations() *api.Registry {
	declarationsOnce.Do(func() { declarations = New(nil, nil).Registry })
	return declarations
}

var (
	declarationsOnce sync.Once
	declarations     *api.Registry
)

// StartWorkflows creates the DBOS engine with executorID, registers every
// module's workflows and launches it (which recovers executorID's pending
// workflows). It is idempotent; Close shuts the engine down.
func (a *App) StartWorkflows(ctx context.Context, executorID string, logger *slog.Logger) error {
	if a.Engine != nil {
		return nil
	}
	e, err := workflow.New(ctx, a.DB, executorID, logger)
	if err != nil {
		return err
	}
	for _, m := range a.modules() {
		if wm, ok := m.(api.WorkflowModule); ok {
			wm.RegisterWorkflows(e)
		}
	}
	if err := e.Launch(); err != nil {
		e.Shutdown(time.Second)
		return fmt.Errorf("launching workflows: %w", err)
	}
	a.Engine = e
	return nil
}

// Close stops the workflow engine (waiting up to timeout for running
// workflows); the caller owns the database and the PDP.
func (a *App) Close(timeout time.Duration) {
	if a.Engine != nil {
		a.Engine.Shutdown(timeout)
		a.Engine = nil
	}
}

// Migrate applies hestami's migrations and the DBOS schemas with the owner
// role; ownerURL is what DBOS's migrator connects with.
func Migrate(ctx context.Context, d *db.DB, ownerURL string) ([]string, error) {
	applied, err := db.Migrate(ctx, d.Owner, migrations.FS)
	if err != nil {
		return applied, err
	}
	missing, err := workflow.NeedsMigrate(ctx, d.Owner)
	if err != nil {
		return applied, err
	}
	if len(applied) > 0 || missing {
		if err := workflow.Migrate(ctx, ownerURL, d.Owner); err != nil {
			return applied, err
		}
	}
	return applied, nil
}
