package document_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/hestami/concierge/internal/activity"
	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/db"
	"github.com/hestami/concierge/internal/delegation"
	"github.com/hestami/concierge/internal/document"
	"github.com/hestami/concierge/internal/document/content"
	"github.com/hestami/concierge/internal/hoa"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/testkit"
	"github.com/hestami/concierge/internal/vendor"
)

func TestMain(m *testing.M) { testkit.Main(m) }

const limit = 1 << 20

type fixture struct {
	*testkit.Bundle
	w        *testkit.World
	store    *content.Dir
	spool    string
	staff    authz.Principal // staff acting in Rivera through the engagement
	owner    authz.Principal // Rivera's owner
	property string          // Rivera's property
	mu       sync.Mutex
	n        int
}

func setup(t *testing.T) *fixture {
	t.Helper()
	b := testkit.Setup(t)
	w := b.NewWorld()
	f := &fixture{Bundle: b, w: w, store: content.NewDir(t.TempDir()), spool: t.TempDir(),
		staff: b.Principal(w.Staff, w.Rivera.ID), owner: w.RiveraOwner}
	b.App.ConfigureDocuments(document.Config{Store: f.store, MaxBytes: limit}, f.spool)
	f.property = b.NewProperty(w.RiveraOwner, "Rivera home").ID
	return f
}

func (f *fixture) key() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n++
	return fmt.Sprint("k", f.n)
}

// invoke runs procedure through the pipeline with ctx (which carries the
// request's attachments, as a transport's would).
func invoke[O any](f *fixture, ctx context.Context, p authz.Principal, procedure string, input any, key string) (O, error) {
	f.T.Helper()
	var zero O
	proc, ok := f.App.Registry.Lookup(procedure)
	if !ok {
		f.T.Fatalf("no procedure %s", procedure)
	}
	raw, err := json.Marshal(input)
	if err != nil {
		f.T.Fatal(err)
	}
	res := f.App.Invoker.InvokeAs(ctx, p, api.Request{Procedure: proc, IdempotencyKey: key, Input: raw})
	if res.Err != nil {
		return zero, res.Err
	}
	return *res.Output.(*O), nil
}

// attach spools data as a transport does and returns the context carrying
// it and its description.
func (f *fixture) attach(data []byte, name string) (context.Context, api.File) {
	f.T.Helper()
	a, err := api.Spool(f.spool, bytes.NewReader(data), name, "application/octet-stream", 1<<30)
	if err != nil {
		f.T.Fatal(err)
	}
	f.T.Cleanup(a.Release)
	return api.WithAttachments(f.Ctx, a), a.File
}

func (f *fixture) upload(p authz.Principal, data []byte, name string, in document.UploadInput, key string) (document.Document, error) {
	f.T.Helper()
	ctx, file := f.attach(data, name)
	in.File = file
	if in.Category == "" {
		in.Category = "OTHER"
	}
	if in.Visibility == "" {
		in.Visibility = document.OwnerAndStaff
	}
	if in.PropertyID == "" && in.CaseID == "" && in.IntentID == "" && in.VendorID == "" && in.HOAContextID == "" {
		in.PropertyID = f.property
	}
	return invoke[document.Document](f, ctx, p, "document/v1/upload", in, key)
}

func (f *fixture) mustUpload(p authz.Principal, data []byte, name string, in document.UploadInput) document.Document {
	f.T.Helper()
	d, err := f.upload(p, data, name, in, f.key())
	if err != nil {
		f.T.Fatalf("upload %s: %v", name, err)
	}
	return d
}

func (f *fixture) download(p authz.Principal, id string) ([]byte, document.Content, error) {
	f.T.Helper()
	c, err := invoke[document.Content](f, f.Ctx, p, "document/v1/download", document.GetInput{ID: id}, "")
	if err != nil {
		return nil, c, err
	}
	defer c.Close()
	b, err := io.ReadAll(&c)
	return b, c, err
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func code(err error) apperr.Code { return apperr.CodeOf(err) }

func TestUploadDownloadRoundTrip(t *testing.T) {
	t.Parallel()
	f := setup(t)
	data := []byte("The HOA approves the fence repaint before the 30th.\n")
	d := f.mustUpload(f.staff, data, "letter.txt", document.UploadInput{Title: "HOA letter", Category: "CORRESPONDENCE"})
	if d.SHA256 != sum(data) || d.Size != int64(len(data)) || d.Version != 1 || d.ChainID != d.ID || d.ReviewStatus != document.PendingReview ||
		d.MediaType != "text/plain; charset=utf-8" || d.FileName != "letter.txt" || !d.TextExtracted || *d.PropertyID != f.property {
		t.Fatalf("uploaded: %+v", d)
	}
	got, c, err := f.download(f.owner, d.ID)
	if err != nil || !bytes.Equal(got, data) || c.MediaType() != d.MediaType || c.FileName() != "letter.txt" || c.FileSize() != d.Size {
		t.Fatalf("download: %q %+v %v", got, c.Document, err)
	}
	if _, err := os.Stat(f.store.Path(d.SHA256)); err != nil {
		t.Fatalf("blob not at its address: %v", err)
	}
	var events []activity.Entry
	if err := f.DB.InTenant(f.Ctx, f.w.Rivera.ID, func(q db.Querier) (err error) {
		events, err = activity.ForEntity(f.Ctx, q, "document", d.ID)
		return err
	}); err != nil || len(events) != 1 || events[0].Verb != "uploaded" || events[0].ActorID != f.staff.UserID {
		t.Fatalf("events: %+v %v", events, err)
	}
}

func TestSameContentIsOneBlobAndTwoDocuments(t *testing.T) {
	t.Parallel()
	f := setup(t)
	data := []byte("same bytes, twice")
	a := f.mustUpload(f.staff, data, "a.txt", document.UploadInput{})
	b := f.mustUpload(f.owner, data, "b.txt", document.UploadInput{})
	if a.ID == b.ID || a.SHA256 != b.SHA256 {
		t.Fatalf("want two documents over one hash: %+v %+v", a, b)
	}
	blobs := 0
	if err := filepath.WalkDir(f.store.Root(), func(path string, e os.DirEntry, err error) error {
		if err == nil && !e.IsDir() && filepath.Base(filepath.Dir(path)) != "staging" {
			blobs++
		}
		return err
	}); err != nil || blobs != 1 {
		t.Fatalf("blobs in the store: %d (%v), want 1", blobs, err)
	}
	for _, id := range []string{a.ID, b.ID} {
		if got, _, err := f.download(f.owner, id); err != nil || !bytes.Equal(got, data) {
			t.Fatalf("download %s: %q %v", id, got, err)
		}
	}
}

func TestSameIdempotencyKeyReplaysTheUpload(t *testing.T) {
	t.Parallel()
	f := setup(t)
	data := []byte("once")
	first, err := f.upload(f.staff, data, "once.txt", document.UploadInput{}, "same")
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.upload(f.staff, data, "once.txt", document.UploadInput{}, "same")
	if err != nil || again.ID != first.ID {
		t.Fatalf("replay: %+v %v, want %s", again, err, first.ID)
	}
	// Other bytes under the same key are a reused key, not a replay.
	if _, err := f.upload(f.staff, []byte("other"), "once.txt", document.UploadInput{}, "same"); code(err) != apperr.IdempotencyKeyReused {
		t.Fatalf("other content, same key: %v", err)
	}
	page, err := testkit.Call[listing.Page[document.Document]](f.Bundle, f.staff, "document/v1/list", document.ListInput{}, "")
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("documents: %+v %v", page, err)
	}
}

func TestCorruptedBlobIsNeverServed(t *testing.T) {
	t.Parallel()
	f := setup(t)
	data := []byte("the original content of the permit")
	d := f.mustUpload(f.staff, data, "permit.txt", document.UploadInput{Title: "Fence permit", Category: "PERMIT"})
	path := f.store.Path(d.SHA256)
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	// Same length, one byte changed: only the hash can tell.
	bad := bytes.Clone(data)
	bad[0] ^= 0x20
	if err := os.WriteFile(path, bad, 0o600); err != nil {
		t.Fatal(err)
	}
	got, _, err := f.download(f.owner, d.ID)
	if code(err) != apperr.Conflict || got != nil {
		t.Fatalf("corrupted blob: %q %v", got, err)
	}
	if msg := err.Error(); !strings.Contains(msg, `"Fence permit"`) || !strings.Contains(msg, d.ID) || !strings.Contains(msg, "SHA-256") {
		t.Fatalf("the error does not name the document: %s", msg)
	}
	// A truncated blob too; a removed one is named as missing.
	if err := os.WriteFile(path, data[:5], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.download(f.staff, d.ID); code(err) != apperr.Conflict {
		t.Fatalf("truncated blob: %v", err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.download(f.staff, d.ID); code(err) != apperr.Conflict || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("missing blob: %v", err)
	}
	// Uploading the same bytes again restores the blob.
	if err := os.WriteFile(path, bad, 0o400); err != nil {
		t.Fatal(err)
	}
	f.mustUpload(f.staff, data, "permit.txt", document.UploadInput{})
	if got, _, err := f.download(f.owner, d.ID); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after re-upload: %q %v", got, err)
	}
}

func TestSizeLimit(t *testing.T) {
	t.Parallel()
	f := setup(t)
	big := bytes.Repeat([]byte("x"), limit+1)
	_, err := f.upload(f.staff, big, "big.txt", document.UploadInput{}, f.key())
	if code(err) != apperr.PayloadTooLarge || apperr.SpecOf(code(err)).HTTPStatus != 413 ||
		!strings.Contains(err.Error(), "big.txt") || !strings.Contains(err.Error(), "1.0 MB") {
		t.Fatalf("over the limit: %v", err)
	}
	if _, err := f.upload(f.staff, big[:limit], "fits.txt", document.UploadInput{}, f.key()); err != nil {
		t.Fatalf("at the limit: %v", err)
	}
}

// A PNG named .txt is a PNG: the type comes from the bytes.
func TestMediaTypeFromContent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	png := append([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), make([]byte, 64)...)
	d := f.mustUpload(f.staff, png, "notes.txt", document.UploadInput{Category: "PHOTO"})
	if d.MediaType != "image/png" || d.TextExtracted {
		t.Fatalf("media type: %+v", d)
	}
	pdf := f.mustUpload(f.staff, minimalPDF("Architectural guidelines fence height"), "rules.bin", document.UploadInput{})
	if pdf.MediaType != "application/pdf" || !pdf.TextExtracted {
		t.Fatalf("pdf: %+v", pdf)
	}
}

func TestContentMustTravelWithTheRequest(t *testing.T) {
	t.Parallel()
	f := setup(t)
	// A description typed into plain JSON, with no file part behind it.
	in := document.UploadInput{File: api.File{Name: "x.txt", Size: 3, SHA256: sum([]byte("abc"))}, Category: "OTHER",
		Visibility: document.OwnerAndStaff, PropertyID: f.property}
	_, err := testkit.Call[document.Document](f.Bundle, f.staff, "document/v1/upload", in, f.key())
	var e *apperr.Error
	if code(err) != apperr.Validation || !errorsAs(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "file" {
		t.Fatalf("no content: %v", err)
	}
}

func errorsAs(err error, e **apperr.Error) bool {
	x, ok := err.(*apperr.Error)
	*e = x
	return ok
}

func TestStaffOnlyIsInvisibleToTheOwnerOnEveryPath(t *testing.T) {
	t.Parallel()
	f := setup(t)
	shared := f.mustUpload(f.staff, []byte("shared gazebo estimate"), "shared.txt", document.UploadInput{})
	hidden := f.mustUpload(f.staff, []byte("internal gazebo margin"), "hidden.txt", document.UploadInput{Visibility: document.StaffOnly})

	if _, err := testkit.Call[document.Document](f.Bundle, f.owner, "document/v1/get", document.GetInput{ID: hidden.ID}, ""); code(err) != apperr.NotFound {
		t.Fatalf("get: %v", err)
	}
	if _, _, err := f.download(f.owner, hidden.ID); code(err) != apperr.NotFound {
		t.Fatalf("download: %v", err)
	}
	if _, err := testkit.Call[document.Versions](f.Bundle, f.owner, "document/v1/versions", document.VersionsInput{ID: hidden.ID}, ""); code(err) != apperr.NotFound {
		t.Fatalf("versions: %v", err)
	}
	page, err := testkit.Call[listing.Page[document.Document]](f.Bundle, f.owner, "document/v1/list", document.ListInput{AllVersions: true}, "")
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != shared.ID {
		t.Fatalf("owner list: %+v %v", page, err)
	}
	res, err := testkit.Call[document.SearchResult](f.Bundle, f.owner, "document/v1/search", document.SearchInput{Query: "gazebo"}, "")
	if err != nil || len(res.Items) != 1 || res.Items[0].Document.ID != shared.ID {
		t.Fatalf("owner search: %+v %v", res, err)
	}
	if r, err := testkit.Call[document.SearchResult](f.Bundle, f.owner, "document/v1/search", document.SearchInput{Query: "margin"}, ""); err != nil || len(r.Items) != 0 {
		t.Fatalf("owner search for the hidden word: %+v %v", r, err)
	}
	// The owner cannot supersede or review it either, and cannot upload a
	// staff-only document.
	ctx, file := f.attach([]byte("v2"), "v2.txt")
	if _, err := invoke[document.Document](f, ctx, f.owner, "document/v1/supersede", document.SupersedeInput{ID: hidden.ID, File: file}, f.key()); code(err) != apperr.NotFound {
		t.Fatalf("supersede: %v", err)
	}
	if _, err := testkit.Call[document.Document](f.Bundle, f.owner, "document/v1/review", document.ReviewInput{ID: hidden.ID, Status: document.Reviewed}, f.key()); code(err) != apperr.NotFound {
		t.Fatalf("review: %v", err)
	}
	if _, err := f.upload(f.owner, []byte("mine"), "mine.txt", document.UploadInput{Visibility: document.StaffOnly}, f.key()); code(err) != apperr.Forbidden {
		t.Fatalf("owner uploads STAFF_ONLY: %v", err)
	}
	// Staff see both, in lists and search.
	page, err = testkit.Call[listing.Page[document.Document]](f.Bundle, f.staff, "document/v1/list", document.ListInput{}, "")
	if err != nil || len(page.Items) != 2 {
		t.Fatalf("staff list: %+v %v", page, err)
	}
	if r, err := testkit.Call[document.SearchResult](f.Bundle, f.staff, "document/v1/search", document.SearchInput{Query: "margin"}, ""); err != nil || len(r.Items) != 1 ||
		!strings.Contains(r.Items[0].Snippet, "[margin]") {
		t.Fatalf("staff search: %+v %v", r, err)
	}
}

func TestVersions(t *testing.T) {
	t.Parallel()
	f := setup(t)
	v1 := f.mustUpload(f.owner, []byte("guidelines 2025"), "g.txt", document.UploadInput{Title: "Guidelines", Category: "ARCHITECTURAL_GUIDELINES"})
	ctx, file := f.attach([]byte("guidelines 2026"), "g2.txt")
	v2, err := invoke[document.Document](f, ctx, f.owner, "document/v1/supersede", document.SupersedeInput{ID: v1.ID, File: file}, f.key())
	if err != nil || v2.Version != 2 || v2.ChainID != v1.ID || *v2.SupersedesID != v1.ID || v2.Title != "Guidelines" || v2.Category != v1.Category {
		t.Fatalf("v2: %+v %v", v2, err)
	}
	// The old version stays readable, and is marked superseded.
	old, err := testkit.Call[document.Document](f.Bundle, f.owner, "document/v1/get", document.GetInput{ID: v1.ID}, "")
	if err != nil || old.SupersededBy == nil || *old.SupersededBy != v2.ID {
		t.Fatalf("v1 after: %+v %v", old, err)
	}
	if got, _, err := f.download(f.owner, v1.ID); err != nil || string(got) != "guidelines 2025" {
		t.Fatalf("v1 content: %q %v", got, err)
	}
	// A superseded version cannot be superseded again: the chain never forks.
	ctx, file = f.attach([]byte("fork"), "fork.txt")
	if _, err := invoke[document.Document](f, ctx, f.owner, "document/v1/supersede", document.SupersedeInput{ID: v1.ID, File: file}, f.key()); code(err) != apperr.Conflict {
		t.Fatalf("fork: %v", err)
	}
	// Staff add a staff-only third version: the owner's chain stops at v2.
	ctx, file = f.attach([]byte("guidelines 2026 with staff remarks"), "g3.txt")
	v3, err := invoke[document.Document](f, ctx, f.staff, "document/v1/supersede", document.SupersedeInput{ID: v2.ID, File: file, Visibility: document.StaffOnly}, f.key())
	if err != nil || v3.Version != 3 {
		t.Fatalf("v3: %+v %v", v3, err)
	}
	versions := func(p authz.Principal) []int {
		vs, err := testkit.Call[document.Versions](f.Bundle, p, "document/v1/versions", document.VersionsInput{ID: v1.ID}, "")
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, d := range vs.Items {
			out = append(out, d.Version)
		}
		return out
	}
	if got := fmt.Sprint(versions(f.staff)); got != "[1 2 3]" {
		t.Fatalf("staff versions: %s", got)
	}
	if got := fmt.Sprint(versions(f.owner)); got != "[1 2]" {
		t.Fatalf("owner versions: %s", got)
	}
	// Lists show current versions unless asked for all.
	page, err := testkit.Call[listing.Page[document.Document]](f.Bundle, f.staff, "document/v1/list", document.ListInput{}, "")
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != v3.ID {
		t.Fatalf("current: %+v %v", page, err)
	}
}

func TestReviewTransitions(t *testing.T) {
	t.Parallel()
	f := setup(t)
	d := f.mustUpload(f.owner, []byte("quote"), "q.txt", document.UploadInput{Category: "QUOTE"})
	review := func(p authz.Principal, id string, s document.ReviewStatus, notes string) (document.Document, error) {
		return testkit.Call[document.Document](f.Bundle, p, "document/v1/review", document.ReviewInput{ID: id, Status: s, Notes: notes}, f.key())
	}
	if _, err := review(f.owner, d.ID, document.Reviewed, ""); code(err) != apperr.Forbidden {
		t.Fatalf("owner reviews: %v", err)
	}
	if _, err := review(f.staff, d.ID, document.Rejected, " "); code(err) != apperr.Validation {
		t.Fatalf("reject without notes: %v", err)
	}
	if _, err := review(f.staff, d.ID, document.PendingReview, ""); code(err) != apperr.InvalidTransition {
		t.Fatalf("to PENDING_REVIEW: %v", err)
	}
	r, err := review(f.staff, d.ID, document.Reviewed, "matches the vendor's letter")
	if err != nil || r.ReviewStatus != document.Reviewed || *r.ReviewedBy != f.staff.UserID || r.ReviewedAt == nil || r.ReviewNotes != "matches the vendor's letter" {
		t.Fatalf("reviewed: %+v %v", r, err)
	}
	if _, err := review(f.staff, d.ID, document.Rejected, "changed my mind"); code(err) != apperr.InvalidTransition ||
		!strings.Contains(err.Error(), "REVIEWED is final") {
		t.Fatalf("after REVIEWED: %v", err)
	}
	other := f.mustUpload(f.staff, []byte("blurry photo"), "p.txt", document.UploadInput{Category: "PHOTO"})
	if r, err := review(f.staff, other.ID, document.Rejected, "unreadable"); err != nil || r.ReviewStatus != document.Rejected {
		t.Fatalf("rejected: %+v %v", r, err)
	}
}

func TestOtherTenantSeesNothing(t *testing.T) {
	t.Parallel()
	f := setup(t)
	d := f.mustUpload(f.owner, []byte("rivera deed"), "deed.txt", document.UploadInput{})
	chen := f.w.ChenOwner
	for name, call := range map[string]func() error{
		"get": func() error {
			_, err := testkit.Call[document.Document](f.Bundle, chen, "document/v1/get", document.GetInput{ID: d.ID}, "")
			return err
		},
		"download": func() error { _, _, err := f.download(chen, d.ID); return err },
		"versions": func() error {
			_, err := testkit.Call[document.Versions](f.Bundle, chen, "document/v1/versions", document.VersionsInput{ID: d.ID}, "")
			return err
		},
		"review": func() error {
			_, err := testkit.Call[document.Document](f.Bundle, chen, "document/v1/review", document.ReviewInput{ID: d.ID, Status: document.Reviewed}, f.key())
			return err
		},
	} {
		if err := call(); code(err) != apperr.NotFound {
			t.Errorf("%s from another tenant: %v", name, err)
		}
	}
	if page, err := testkit.Call[listing.Page[document.Document]](f.Bundle, chen, "document/v1/list", document.ListInput{}, ""); err != nil || len(page.Items) != 0 {
		t.Fatalf("list: %+v %v", page, err)
	}
	if r, err := testkit.Call[document.SearchResult](f.Bundle, chen, "document/v1/search", document.SearchInput{Query: "deed"}, ""); err != nil || len(r.Items) != 0 {
		t.Fatalf("search: %+v %v", r, err)
	}
	// Binding to another organization's property is refused as unknown.
	if _, err := f.upload(chen, []byte("x"), "x.txt", document.UploadInput{PropertyID: f.property}, f.key()); code(err) != apperr.Validation {
		t.Fatalf("foreign property: %v", err)
	}
}

func TestBindings(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c, err := testkit.Call[cases.Case](f.Bundle, f.owner, "case/v1/create", cases.CreateInput{PropertyID: f.property, Title: "Fence"}, f.key())
	if err != nil {
		t.Fatal(err)
	}
	d := f.mustUpload(f.staff, []byte("fence quote"), "q.txt", document.UploadInput{CaseID: c.Number, Category: "QUOTE"})
	if *d.CaseID != c.ID || *d.PropertyID != f.property {
		t.Fatalf("case binding: %+v", d)
	}
	other := f.NewProperty(f.owner, "Lake house").ID
	if _, err := f.upload(f.staff, []byte("x"), "x.txt", document.UploadInput{CaseID: c.ID, PropertyID: other}, f.key()); code(err) != apperr.Validation {
		t.Fatalf("case of another property: %v", err)
	}
	vendorID := must[vendor.Vendor](f, f.staff, "vendor/v1/create", vendor.CreateInput{Name: "Austin Fences"}).ID
	v := f.mustUpload(f.staff, []byte("w9"), "w9.txt", document.UploadInput{VendorID: vendorID})
	if v.PropertyID != nil || *v.VendorID != vendorID {
		t.Fatalf("vendor binding: %+v", v)
	}
	hc := must[hoa.Context](f, f.owner, "hoa/v1/createContext", hoa.CreateContextInput{PropertyID: f.property, Name: "Maple Ridge HOA"})
	h := f.mustUpload(f.staff, []byte("cc&rs"), "ccrs.txt", document.UploadInput{HOAContextID: hc.ID, Category: "CC_AND_RS"})
	if *h.HOAContextID != hc.ID {
		t.Fatalf("HOA context binding: %+v", h)
	}
	page, err := testkit.Call[listing.Page[document.Document]](f.Bundle, f.staff, "document/v1/list", document.ListInput{CaseID: c.Number}, "")
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != d.ID {
		t.Fatalf("list by case: %+v %v", page, err)
	}
}

func TestDelegatedAgentNeedsDocumentAccess(t *testing.T) {
	t.Parallel()
	f := setup(t)
	owner := f.Member(f.w.Oak, "owner@oak.test", "OWNER")
	agent := f.w.OakAgent
	granted := f.NewProperty(owner, "Oak granted").ID
	other := f.NewProperty(owner, "Oak other").ID
	staff := f.Principal(f.w.Staff, f.w.Oak.ID)
	onGranted := f.mustUpload(staff, []byte("granted shared"), "a.txt", document.UploadInput{PropertyID: granted})
	f.mustUpload(staff, []byte("granted staff only"), "b.txt", document.UploadInput{PropertyID: granted, Visibility: document.StaffOnly})
	onOther := f.mustUpload(staff, []byte("other shared"), "c.txt", document.UploadInput{PropertyID: other})

	grant := func(types ...delegation.AuthorityType) {
		g, err := testkit.Call[delegation.Delegation](f.Bundle, owner, "delegation/v1/grant",
			delegation.GrantInput{DelegateID: agent.UserID, PropertyIDs: []string{granted}, AuthorityTypes: types}, f.key())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := testkit.Call[delegation.Delegation](f.Bundle, agent, "delegation/v1/accept", delegation.AcceptInput{ID: g.ID}, f.key()); err != nil {
			t.Fatal(err)
		}
	}
	list := func() []string {
		page, err := testkit.Call[listing.Page[document.Document]](f.Bundle, agent, "document/v1/list", document.ListInput{}, "")
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, d := range page.Items {
			ids = append(ids, d.ID)
		}
		return ids
	}
	// A CASE_MANAGEMENT grant gives no documents.
	grant("CASE_MANAGEMENT")
	if ids := list(); len(ids) != 0 {
		t.Fatalf("with CASE_MANAGEMENT: %v", ids)
	}
	if _, err := f.upload(agent, []byte("x"), "x.txt", document.UploadInput{PropertyID: granted}, f.key()); code(err) != apperr.Forbidden ||
		!strings.Contains(err.Error(), "DOCUMENT_ACCESS") {
		t.Fatalf("upload without DOCUMENT_ACCESS: %v", err)
	}
	grant("DOCUMENT_ACCESS")
	if ids := list(); len(ids) != 1 || ids[0] != onGranted.ID {
		t.Fatalf("with DOCUMENT_ACCESS: %v", ids)
	}
	if _, err := testkit.Call[document.Document](f.Bundle, agent, "document/v1/get", document.GetInput{ID: onOther.ID}, ""); code(err) != apperr.NotFound {
		t.Fatalf("other property: %v", err)
	}
	if _, err := f.upload(agent, []byte("agent upload"), "y.txt", document.UploadInput{PropertyID: granted}, f.key()); err != nil {
		t.Fatalf("upload with DOCUMENT_ACCESS: %v", err)
	}
	if _, err := f.upload(agent, []byte("agent upload"), "y.txt", document.UploadInput{PropertyID: other}, f.key()); code(err) != apperr.Forbidden {
		t.Fatalf("upload on another property: %v", err)
	}
}

// minimalPDF is a one-page PDF showing text, with a correct xref table.
func minimalPDF(text string) []byte {
	stream := "BT /F1 12 Tf 72 720 Td (" + text + ") Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// The case detail's documents part: the owner side gets the shared
// documents of the case only, staff all of them.
func TestForCaseAppliesTheViewPlan(t *testing.T) {
	t.Parallel()
	f := setup(t)
	c, err := testkit.Call[cases.Case](f.Bundle, f.owner, "case/v1/create", cases.CreateInput{PropertyID: f.property, Title: "Fence"}, f.key())
	if err != nil {
		t.Fatal(err)
	}
	shared := f.mustUpload(f.staff, []byte("letter"), "l.txt", document.UploadInput{CaseID: c.ID})
	f.mustUpload(f.staff, []byte("margin"), "m.txt", document.UploadInput{CaseID: c.ID, Visibility: document.StaffOnly})
	f.mustUpload(f.staff, []byte("elsewhere"), "e.txt", document.UploadInput{})
	forCase := func(p authz.Principal, limit int) ([]document.Document, bool) {
		plan, err := f.PDP.QueryFilter(f.Ctx, p, "document", "view")
		if err != nil {
			t.Fatal(err)
		}
		var docs []document.Document
		var more bool
		if err := f.DB.InTenant(f.Ctx, p.OrgID, func(q db.Querier) (err error) {
			docs, more, err = document.ForCaseTx(f.Ctx, q, plan, c.ID, limit)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return docs, more
	}
	if docs, more := forCase(f.owner, 10); len(docs) != 1 || docs[0].ID != shared.ID || more {
		t.Fatalf("owner: %+v %v", docs, more)
	}
	if docs, more := forCase(f.staff, 10); len(docs) != 2 || more {
		t.Fatalf("staff: %+v %v", docs, more)
	}
	if docs, more := forCase(f.staff, 1); len(docs) != 1 || !more {
		t.Fatalf("staff, limit 1: %+v %v", docs, more)
	}
}

func must[O any](f *fixture, p authz.Principal, proc string, in any) O {
	f.T.Helper()
	out, err := testkit.Call[O](f.Bundle, p, proc, in, f.key())
	if err != nil {
		f.T.Fatalf("%s: %v", proc, err)
	}
	return out
}

// An HOA context or a vendor the upload names must be one of the
// organization's: a made-up id or another tenant's is a field error, and no
// document is written. Past the service, the composite foreign keys of
// migration 0022 refuse the same.
func TestBindingsToHOAContextsAndVendorsNameRecordsOfTheOrganization(t *testing.T) {
	t.Parallel()
	f := setup(t)
	chen := f.w.ChenOwner
	chenVendor := must[vendor.Vendor](f, chen, "vendor/v1/create", vendor.CreateInput{Name: "Chen's roofer"}).ID
	chenHOA := must[hoa.Context](f, chen, "hoa/v1/createContext", hoa.CreateContextInput{
		PropertyID: f.NewProperty(chen, "Chen home").ID, Name: "Lakeside HOA"}).ID

	for _, c := range []struct {
		field string
		in    document.UploadInput
	}{
		{"vendorId", document.UploadInput{VendorID: "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}},
		{"vendorId", document.UploadInput{VendorID: chenVendor}},
		{"hoaContextId", document.UploadInput{HOAContextID: "7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d"}},
		{"hoaContextId", document.UploadInput{HOAContextID: chenHOA, PropertyID: f.property}},
	} {
		_, err := f.upload(f.staff, []byte("x"), "x.txt", c.in, f.key())
		e := apperr.From(err)
		if e.Code != apperr.Validation || len(e.Fields) != 1 || e.Fields[0].Field != c.field || e.Fields[0].Code != "not_found" {
			t.Fatalf("%+v: got %v (fields %+v), want %s not_found", c.in, err, e.Fields, c.field)
		}
	}
	if page := must[listing.Page[document.Document]](f, f.staff, "document/v1/list", document.ListInput{}); len(page.Items) != 0 {
		t.Fatalf("refused uploads were written: %+v", page.Items)
	}

	d := f.mustUpload(f.staff, []byte("deed"), "deed.txt", document.UploadInput{})
	for _, column := range []string{"vendor_id", "hoa_context_id"} {
		for _, id := range []string{"7d1c2b3a-4e5f-4a6b-8c7d-9e0f1a2b3c4d", chenVendor, chenHOA} {
			err := f.DB.InTenant(f.Ctx, f.w.Rivera.ID, func(q db.Querier) error {
				_, err := q.Exec(context.Background(), `UPDATE documents SET `+column+` = $2 WHERE id = $1`, d.ID, id)
				return err
			})
			if code(db.MapError(err)) != apperr.NotFound {
				t.Fatalf("%s = %s: %v", column, id, err)
			}
		}
	}
}
