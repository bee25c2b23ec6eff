package vendor_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/google/uuid"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/document"
	"github.com/hestami/concierge/internal/document/content"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/vendor"
)

// uploads gives f a real document content store and returns an upload
// function: text goes through document/v1/upload as the transport would
// send it (an attachment), bound to the case caseRef; it returns the id.
func (f *fixture) uploads(t *testing.T) func(p authz.Principal, caseRef, text string) string {
	spool := t.TempDir()
	f.App.ConfigureDocuments(document.Config{Store: content.NewDir(t.TempDir()), MaxBytes: 1 << 20}, spool)
	return func(p authz.Principal, caseRef, text string) string {
		t.Helper()
		a, err := api.Spool(spool, bytes.NewReader([]byte(text)), "quote.txt", "text/plain", 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(a.Release)
		proc, _ := f.App.Registry.Lookup("document/v1/upload")
		raw, err := json.Marshal(document.UploadInput{File: a.File, Category: "QUOTE", Visibility: document.OwnerAndStaff, CaseID: caseRef})
		if err != nil {
			t.Fatal(err)
		}
		res := f.App.Invoker.InvokeAs(api.WithAttachments(f.Ctx, a), p, api.Request{Procedure: proc, IdempotencyKey: f.key(), Input: raw})
		if res.Err != nil {
			t.Fatalf("upload: %v", res.Err)
		}
		return res.Output.(*document.Document).ID
	}
}

func wantFieldNotFound(t *testing.T, err error, field string) {
	t.Helper()
	e := apperr.From(err)
	if e.Code != apperr.Validation || len(e.Fields) != 1 || e.Fields[0].Field != field || e.Fields[0].Code != "not_found" {
		t.Fatalf("got %v (fields %+v), want %s not_found", err, e.Fields, field)
	}
}

// A quote or an invoice cites a document of the organization: a made-up id
// or another tenant's document is a field error, and nothing is written.
func TestQuotesAndInvoicesCiteDocumentsOfTheOrganization(t *testing.T) {
	t.Parallel()
	f := setup(t)
	upload := f.uploads(t)
	doc := upload(f.staff, f.c.ID, "Austin Fences: repaint, 1200 USD")
	chenCase := f.openCase(f.w.ChenOwner, f.NewProperty(f.w.ChenOwner, "Chen home").ID, "Roof")
	chenDoc := upload(f.w.ChenOwner, chenCase.ID, "Chen's quote")

	q, err := f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v.ID, Amount: "1200.00", DocumentID: doc})
	if err != nil || q.DocumentID == nil || *q.DocumentID != doc {
		t.Fatalf("quote with its document: %+v %v", q, err)
	}
	i, err := call[vendor.Invoice](f, f.staff, "invoice/v1/add", vendor.AddInvoiceInput{CaseID: f.c.ID, VendorID: f.v.ID, Amount: "300.00",
		Currency: "USD", DocumentID: doc})
	if err != nil || i.DocumentID == nil || *i.DocumentID != doc {
		t.Fatalf("invoice with its document: %+v %v", i, err)
	}

	for _, id := range []string{uuid.NewString(), chenDoc} {
		_, err := f.addQuote(f.staff, vendor.AddQuoteInput{VendorID: f.v.ID, Amount: "1.00", DocumentID: id})
		wantFieldNotFound(t, err, "documentId")
		_, err = call[vendor.Invoice](f, f.staff, "invoice/v1/add", vendor.AddInvoiceInput{CaseID: f.c.ID, VendorID: f.v.ID, Amount: "1.00",
			Currency: "USD", DocumentID: id})
		wantFieldNotFound(t, err, "documentId")
	}
	if l := must[listing.Page[vendor.Quote]](f, f.staff, "quote/v1/list", vendor.QuoteListInput{CaseID: f.c.ID}); len(l.Items) != 1 {
		t.Fatalf("refused quotes were written: %+v", l.Items)
	}
	if l := must[listing.Page[vendor.Invoice]](f, f.staff, "invoice/v1/list", vendor.InvoiceListInput{CaseID: f.c.ID}); len(l.Items) != 1 {
		t.Fatalf("refused invoices were written: %+v", l.Items)
	}

	// Past the service, the composite foreign keys of migration 0022 are
	// the last wall.
	for _, id := range []string{uuid.NewString(), chenDoc} {
		for table, row := range map[string]string{"quotes": q.ID, "invoices": i.ID} {
			err := f.DB.InTenant(f.Ctx, f.w.Rivera.ID, func(tx db.Querier) error {
				_, err := tx.Exec(context.Background(), `UPDATE `+table+` SET document_id = $2 WHERE id = $1`, row, id)
				return err
			})
			wantCode(t, db.MapError(err), apperr.NotFound)
		}
	}
}
