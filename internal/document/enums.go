package document

import (
	"github.com/invopop/jsonschema"

	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/statemachine"
)

// Category is what a document is (domain.md §5).
type Category string

// Categories lists every category.
var Categories = enum.New[Category]("CC_AND_RS", "ARCHITECTURAL_GUIDELINES", "PERMIT", "PRIOR_APPROVAL", "CORRESPONDENCE",
	"QUOTE", "INVOICE", "CONTRACT", "PHOTO", "OTHER").Stored("documents", "category")

// JSONSchema makes every Category field an enum.
func (Category) JSONSchema() *jsonschema.Schema { return Categories.Schema() }

// Visibility is who may see a document: the owner side and staff, or staff
// only. It is a PDP attribute, so every read path (get, list, versions,
// download, search) applies it through the policy, never in Go.
type Visibility string

const (
	OwnerAndStaff Visibility = "OWNER_AND_STAFF"
	StaffOnly     Visibility = "STAFF_ONLY"
)

// Visibilities lists every visibility.
var Visibilities = enum.New(OwnerAndStaff, StaffOnly).Stored("documents", "visibility")

// JSONSchema makes every Visibility field an enum.
func (Visibility) JSONSchema() *jsonschema.Schema { return Visibilities.Schema() }

// ReviewStatus is where a document's review stands.
type ReviewStatus string

const (
	PendingReview ReviewStatus = "PENDING_REVIEW"
	Reviewed      ReviewStatus = "REVIEWED"
	Rejected      ReviewStatus = "REJECTED"
)

// ReviewStatuses lists every review status.
var ReviewStatuses = enum.New(PendingReview, Reviewed, Rejected).Stored("documents", "review_status")

// JSONSchema makes every ReviewStatus field an enum.
func (ReviewStatus) JSONSchema() *jsonschema.Schema { return ReviewStatuses.Schema() }

// ReviewTransitions is the review machine of domain.md §5:
//
//	| from           | allowed to          |
//	|----------------|---------------------|
//	| (new)          | PENDING_REVIEW      |
//	| PENDING_REVIEW | REVIEWED, REJECTED  |
//	| REVIEWED, REJECTED | — (final)       |
//
// A document found wrong after review is superseded by a new version,
// which starts PENDING_REVIEW again.
var ReviewTransitions = statemachine.Table[ReviewStatus]{
	PendingReview: {Reviewed, Rejected},
}
