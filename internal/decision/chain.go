package decision

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Encoding names the canonical encoding the hashes cover (the package doc
// specifies it); an export's header carries it.
const Encoding = "hestami.decision.v1"

const auditEncoding = "hestami.decision.audit.v1"

// TimeLayout is the one form of an instant in the canonical encoding: UTC,
// RFC 3339, exactly six fractional digits (PostgreSQL keeps microseconds).
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// GenesisHash is the previous hash of an organization's first entry.
var GenesisHash = strings.Repeat("0", 64)

// Entry is one ledger entry as its hash covers it: the public content and
// the digest of the audit part (Audit).
type Entry struct {
	OrganizationID string
	Sequence       int64
	ID             string
	PrevHash       string
	RecordedAt     time.Time
	Category       Category
	Title          string
	Summary        string
	Rationale      string
	CaseID         *string
	PropertyID     *string
	Options        []Option
	Evidence       []Evidence // the public evidence
	ActorKind      string
	ActorID        string
	AuthorityRoles []string
	DelegationID   *string
	RefersTo       *string
	Relation       *Relation
	AuditDigest    string
}

// Audit is the part of an entry only staff see: the internal detail and
// the internal evidence, with the nonce that keeps its digest unguessable.
type Audit struct {
	Nonce    string     `json:"nonce"`
	Detail   string     `json:"detail"`
	Evidence []Evidence `json:"evidence"`
}

// canon writes the canonical encoding: JSON arrays and values, no
// whitespace, strings escaped minimally (see appendString).
type canon struct{ b []byte }

func (c *canon) str(s string) { c.b = appendString(c.b, s) }
func (c *canon) raw(s string) { c.b = append(c.b, s...) }

func (c *canon) optStr(s *string) {
	if s == nil {
		c.raw("null")
		return
	}
	c.str(*s)
}

func (c *canon) strs(list []string) {
	c.raw("[")
	for i, s := range list {
		if i > 0 {
			c.raw(",")
		}
		c.str(s)
	}
	c.raw("]")
}

func (c *canon) evidence(list []Evidence) {
	c.raw("[")
	for i, e := range list {
		if i > 0 {
			c.raw(",")
		}
		c.raw("[")
		c.str(string(e.Kind))
		c.raw(",")
		c.str(e.ID)
		c.raw("]")
	}
	c.raw("]")
}

// appendString appends s as a JSON string with only these escapes: `"` as
// \", `\` as \\, and each byte below 0x20 as \u00xx (lower-case hex);
// every other byte is copied (s is valid UTF-8: the input schema refuses
// anything else).
func appendString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// Canonical is the byte string e's hash covers.
func (e Entry) Canonical() []byte {
	c := &canon{b: make([]byte, 0, 512+len(e.Rationale)+len(e.Summary))}
	c.raw("[")
	c.str(Encoding)
	c.raw(",")
	c.str(e.OrganizationID)
	c.raw(",")
	c.raw(strconv.FormatInt(e.Sequence, 10))
	c.raw(",")
	c.str(e.ID)
	c.raw(",")
	c.str(e.PrevHash)
	c.raw(",")
	c.str(e.RecordedAt.UTC().Format(TimeLayout))
	c.raw(",")
	c.str(string(e.Category))
	c.raw(",")
	c.str(e.Title)
	c.raw(",")
	c.str(e.Summary)
	c.raw(",")
	c.str(e.Rationale)
	c.raw(",")
	c.optStr(e.CaseID)
	c.raw(",")
	c.optStr(e.PropertyID)
	c.raw(",[")
	for i, o := range e.Options {
		if i > 0 {
			c.raw(",")
		}
		c.raw("[")
		c.str(o.Label)
		c.raw(",")
		c.strs(o.Pros)
		c.raw(",")
		c.strs(o.Cons)
		c.raw(",")
		c.raw(strconv.FormatBool(o.Chosen))
		c.raw("]")
	}
	c.raw("],")
	c.evidence(e.Evidence)
	c.raw(",")
	c.str(e.ActorKind)
	c.raw(",")
	c.str(e.ActorID)
	c.raw(",")
	c.strs(e.AuthorityRoles)
	c.raw(",")
	c.optStr(e.DelegationID)
	c.raw(",")
	c.optStr(e.RefersTo)
	c.raw(",")
	if e.Relation == nil {
		c.raw("null")
	} else {
		c.str(string(*e.Relation))
	}
	c.raw(",")
	c.str(e.AuditDigest)
	c.raw("]")
	return c.b
}

// Hash is the entry's hash: lower-case hex SHA-256 of Canonical.
func (e Entry) Hash() string {
	sum := sha256.Sum256(e.Canonical())
	return hex.EncodeToString(sum[:])
}

// Canonical is the byte string the audit digest covers.
func (a Audit) Canonical() []byte {
	c := &canon{}
	c.raw("[")
	c.str(auditEncoding)
	c.raw(",")
	c.str(a.Nonce)
	c.raw(",")
	c.str(a.Detail)
	c.raw(",")
	c.evidence(a.Evidence)
	c.raw("]")
	return c.b
}

// Digest is lower-case hex SHA-256 of Canonical.
func (a Audit) Digest() string {
	sum := sha256.Sum256(a.Canonical())
	return hex.EncodeToString(sum[:])
}

// Break names the first entry at which a chain does not verify.
type Break struct {
	Sequence int64  `json:"sequence"`
	ID       string `json:"id"`
	Reason   string `json:"reason"`
}

// Report is the outcome of verifying a chain.
type Report struct {
	OrganizationID string `json:"organizationId"`
	Entries        int64  `json:"entries"`
	HeadSequence   int64  `json:"headSequence"`
	HeadHash       string `json:"headHash"`
	Valid          bool   `json:"valid"`
	FirstBroken    *Break `json:"firstBroken,omitempty"`
}

// chain walks a ledger in sequence order and stops at the first entry
// that breaks it; the online and the offline verifier share it.
type chain struct {
	r    Report
	prev string
}

func newChain(org string) *chain {
	return &chain{r: Report{OrganizationID: org, Valid: true, HeadHash: GenesisHash}, prev: GenesisHash}
}

// add checks the next entry, whose stored hash is stored, and reports
// whether the chain still holds.
func (c *chain) add(e Entry, stored string) bool {
	if !c.r.Valid {
		return false
	}
	want := c.r.HeadSequence + 1
	switch {
	case e.OrganizationID != c.r.OrganizationID:
		return c.fail(e, fmt.Sprintf("it belongs to organization %s, not %s", e.OrganizationID, c.r.OrganizationID))
	case e.Sequence != want:
		if e.Sequence > want {
			return c.fail(e, fmt.Sprintf("entries %d to %d are missing before it (deleted)", want, e.Sequence-1))
		}
		return c.fail(e, fmt.Sprintf("its sequence number %d repeats or goes back (expected %d)", e.Sequence, want))
	case e.PrevHash != c.prev:
		return c.fail(e, fmt.Sprintf("its previous hash does not match the hash of entry %d (reordered, or an entry before it was replaced)", want-1))
	}
	if got := e.Hash(); got != stored {
		return c.fail(e, "its content does not match its hash (changed after it was recorded)")
	}
	c.r.Entries++
	c.r.HeadSequence, c.r.HeadHash, c.prev = e.Sequence, stored, stored
	return true
}

func (c *chain) fail(e Entry, reason string) bool {
	c.r.Valid = false
	c.r.FirstBroken = &Break{Sequence: e.Sequence, ID: e.ID, Reason: reason}
	return false
}

// failAt records a break that is not about an entry's content (an
// unreadable line of an export, a header that disagrees).
func (c *chain) failAt(seq int64, id, reason string) {
	if !c.r.Valid {
		return
	}
	c.r.Valid = false
	c.r.FirstBroken = &Break{Sequence: seq, ID: id, Reason: reason}
}
