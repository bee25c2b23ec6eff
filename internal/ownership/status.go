package ownership

import (
	"github.com/invopop/jsonschema"

	"github.com/hestami/concierge/internal/enum"
	"github.com/hestami/concierge/internal/statemachine"
)

// Role is how a party holds a property.
type Role string

const (
	Owner          Role = "OWNER"
	CoOwner        Role = "CO_OWNER"
	TrusteeManager Role = "TRUSTEE_MANAGER"
)

// Roles lists every ownership role.
var Roles = enum.New(Owner, CoOwner, TrusteeManager).Stored("ownerships", "role")

// JSONSchema makes every Role field an enum.
func (Role) JSONSchema() *jsonschema.Schema { return Roles.Schema() }

// Status is where an ownership record is in its life.
type Status string

const (
	Active              Status = "ACTIVE"
	PendingVerification Status = "PENDING_VERIFICATION"
	Suspended           Status = "SUSPENDED"
	Terminated          Status = "TERMINATED"
)

// Statuses lists every status.
var Statuses = enum.New(Active, PendingVerification, Suspended, Terminated).Stored("ownerships", "status")

// JSONSchema makes every Status field an enum.
func (Status) JSONSchema() *jsonschema.Schema { return Statuses.Schema() }

// Initial lists the statuses a new record may start in: a record is never
// created already suspended or terminated.
var Initial = []Status{Active, PendingVerification}

// Transitions is the status machine: from → allowed targets. TERMINATED is
// absent as a key: it is final, and a terminated record changes no more.
var Transitions = statemachine.Table[Status]{
	PendingVerification: {Active, Terminated},
	Active:              {Suspended, Terminated},
	Suspended:           {Active, Terminated},
}

// CanTransition reports whether the machine allows from → to.
func CanTransition(from, to Status) bool {
	return Transitions.Allows(from, to)
}

// Terminal reports whether no transition leaves s.
func Terminal(s Status) bool { return Transitions.Terminal(s) }

// transitionRefusal explains a refused from → to and names the way forward.
func transitionRefusal(from, to Status) string {
	return Transitions.Refusal("an ownership", from, to)
}
