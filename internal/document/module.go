package document

import (
	"context"

	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/listing"
)

// Register declares the document procedures (api.Module).
func (s *Service) Register(r *api.Registry) {
	spec := api.Specs{Namespace: "document", Resource: kind}.Spec
	api.Register(r, spec("upload", api.Mutation, "Upload a document (multipart/form-data: the file part, and the metadata) bound to a property, case, intent, HOA context or vendor",
		[]apperr.Code{apperr.PayloadTooLarge}, "create"),
		func(ctx context.Context, c api.Call, in UploadInput) (Document, error) {
			return s.UploadTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("supersede", api.Mutation, "Upload the next version of a document; the old version stays readable",
		[]apperr.Code{apperr.PayloadTooLarge}, "supersede", "view", "create"),
		func(ctx context.Context, c api.Call, in SupersedeInput) (Document, error) {
			return s.SupersedeTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("review", api.Mutation, "Record a document's review: REVIEWED, or REJECTED with notes",
		[]apperr.Code{apperr.InvalidTransition}, "review", "view"),
		func(ctx context.Context, c api.Call, in ReviewInput) (Document, error) {
			return s.ReviewTx(ctx, c.Tx, c.Principal, in)
		})
	api.Register(r, spec("get", api.Query, "Get one document version", nil, "view"),
		func(ctx context.Context, c api.Call, in GetInput) (Document, error) {
			return s.Get(ctx, c.Principal, in)
		})
	api.Register(r, spec("list", api.Query, "List documents (current versions unless allVersions), newest first", nil, "view"),
		func(ctx context.Context, c api.Call, in ListInput) (listing.Page[Document], error) {
			return s.List(ctx, c.Principal, in)
		})
	api.Register(r, spec("versions", api.Query, "List a document's versions, oldest first", nil, "view"),
		func(ctx context.Context, c api.Call, in VersionsInput) (Versions, error) {
			return s.Versions(ctx, c.Principal, in)
		})
	api.Register(r, spec("search", api.Query, "Full-text search over document titles and extracted text", nil, "view"),
		func(ctx context.Context, c api.Call, in SearchInput) (SearchResult, error) {
			return s.Search(ctx, c.Principal, in)
		})
	api.Register(r, spec("download", api.Query, "Download a document version's content, verified against its SHA-256 (the HTTP answer is the file itself)",
		[]apperr.Code{apperr.Conflict}, "view"),
		func(ctx context.Context, c api.Call, in GetInput) (Content, error) {
			return s.Download(ctx, c.Principal, in)
		})
}
