package app_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/hestami/concierge/internal/action"
	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/delegation"
	"github.com/hestami/concierge/internal/hoa"
	"github.com/hestami/concierge/internal/intent"
	"github.com/hestami/concierge/internal/testkit"
)

// caseDataResources are the PDP kinds whose records are case data.
// Participants are decided on "case".
var caseDataResources = []string{"case", "case_note", "action", "intent", "hoa_approval"}

// caseDataTypes are the types whose values are case data: a procedure whose
// output reaches one of them returns case data, whatever its resource.
var caseDataTypes = []reflect.Type{
	reflect.TypeFor[cases.Case](), reflect.TypeFor[cases.Note](), reflect.TypeFor[cases.Participant](),
	reflect.TypeFor[cases.Detail](), reflect.TypeFor[action.Action](), reflect.TypeFor[intent.Intent](),
}

// reaches reports whether a value of t can hold a value of one of targets.
func reaches(t reflect.Type, targets []reflect.Type, seen map[reflect.Type]bool) bool {
	if slices.Contains(targets, t) {
		return true
	}
	if seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array, reflect.Map:
		return reaches(t.Elem(), targets, seen)
	case reflect.Struct:
		for i := range t.NumField() {
			if reaches(t.Field(i).Type, targets, seen) {
				return true
			}
		}
	}
	return false
}

// leakRefs are the records of one case story, as the owner side would name
// them.
type leakRefs struct {
	caseID, number, intentID, sharedNoteID, actionID, participantID string
	hoaContextID, approvalID                                        string
	internalNoteID, secret                                          string // empty on the control case
}

// ownerCall is how the leak test exercises one procedure as the owner:
// its input for a story, the outcome the owner side gets (apperr code, ""
// for success: an entry that expects data and gets an error would test
// nothing), and, optionally, staff work that must happen first.
type ownerCall struct {
	input   func(r leakRefs) any
	want    apperr.Code
	prepare func(t *testing.T, b *testkit.Bundle, staff authz.Principal, r leakRefs)
}

func byCase(r leakRefs) any      { return map[string]any{"caseId": r.caseID} }
func byID(id string) any         { return map[string]any{"id": id} }
func caseRef(r leakRefs) any     { return byID(r.number) }
func actionRef(r leakRefs) any   { return byID(r.actionID) }
func intentRef(r leakRefs) any   { return byID(r.intentID) }
func approvalRef(r leakRefs) any { return byID(r.approvalID) }

// exercised is every procedure returning case data, called as an owner
// on a case that holds an internal note.
var exercised = map[string]ownerCall{
	"case/v1/create": {input: func(leakRefs) any { return map[string]any{"propertyId": "PROPERTY", "title": "another"} }},
	"case/v1/get":    {input: caseRef},
	"case/v1/list":   {input: func(leakRefs) any { return map[string]any{"limit": 100} }},
	"case/v1/detail": {input: caseRef},
	"case/v1/updateStatus": {input: func(r leakRefs) any {
		return map[string]any{"id": r.caseID, "status": "ON_HOLD", "reason": "owner"}
	}, want: apperr.Forbidden},
	"case/v1/addNote":   {input: func(r leakRefs) any { return map[string]any{"caseId": r.caseID, "audience": "SHARED", "text": "ok"} }},
	"case/v1/getNote":   {input: func(r leakRefs) any { return byID(r.sharedNoteID) }},
	"case/v1/listNotes": {input: byCase},
	"case/v1/requestClarification": {input: func(r leakRefs) any { return map[string]any{"id": r.caseID, "text": "?"} },
		want: apperr.Forbidden},
	"case/v1/answerClarification": {input: func(r leakRefs) any { return map[string]any{"id": r.caseID, "text": "the attic"} },
		prepare: func(t *testing.T, b *testkit.Bundle, staff authz.Principal, r leakRefs) {
			call[cases.Clarification](t, b, staff, "case/v1/requestClarification", map[string]any{"id": r.caseID, "text": "which room?"})
		}},
	"case/v1/assign":            {input: func(r leakRefs) any { return map[string]any{"id": r.caseID, "userId": r.caseID} }, want: apperr.Forbidden},
	"case/v1/claim":             {input: caseRef, want: apperr.Forbidden},
	"case/v1/unassign":          {input: caseRef, want: apperr.Forbidden},
	"case/v1/addParticipant":    {input: func(r leakRefs) any { return map[string]any{"caseId": r.caseID, "role": "TENANT", "name": "x"} }, want: apperr.Forbidden},
	"case/v1/removeParticipant": {input: func(r leakRefs) any { return byID(r.participantID) }, want: apperr.Forbidden},
	"case/v1/listParticipants":  {input: byCase},
	"action/v1/create":          {input: func(r leakRefs) any { return map[string]any{"caseId": r.caseID, "title": "x"} }, want: apperr.Forbidden},
	"action/v1/start":           {input: actionRef, want: apperr.Forbidden},
	"action/v1/complete":        {input: func(r leakRefs) any { return map[string]any{"id": r.actionID, "outcome": "done"} }, want: apperr.Forbidden},
	"action/v1/block":           {input: func(r leakRefs) any { return map[string]any{"id": r.actionID, "waitingOn": "x"} }, want: apperr.Forbidden},
	"action/v1/cancel":          {input: actionRef, want: apperr.Forbidden},
	"action/v1/list":            {input: byCase},
	"intent/v1/get":             {input: intentRef},
	"intent/v1/list":            {input: func(leakRefs) any { return map[string]any{"limit": 100} }},
	"intent/v1/acknowledge":     {input: intentRef, want: apperr.Forbidden},
	"intent/v1/reclassify":      {input: func(r leakRefs) any { return map[string]any{"id": r.intentID, "priority": "HIGH"} }, want: apperr.Forbidden},
	"intent/v1/convert":         {input: intentRef, want: apperr.Forbidden},
	"intent/v1/decline":         {input: func(r leakRefs) any { return map[string]any{"id": r.intentID, "reason": "no"} }, want: apperr.Forbidden},
	"hoa/v1/createApproval": {input: func(r leakRefs) any {
		return map[string]any{"caseId": r.caseID, "contextId": r.hoaContextID, "type": "OTHER"}
	}, want: apperr.Forbidden},
	"hoa/v1/submitApproval": {input: approvalRef, want: apperr.Forbidden},
	"hoa/v1/decideApproval": {input: func(r leakRefs) any { return map[string]any{"id": r.approvalID, "outcome": "APPROVED"} }, want: apperr.Forbidden},
	"hoa/v1/getApproval":    {input: approvalRef},
	"hoa/v1/listApprovals":  {input: byCase},
	// The owner may withdraw its intents, but not one already converted.
	"intent/v1/withdraw": {input: intentRef, want: apperr.InvalidTransition},
}

// notApplicable lists the case-data procedures the leak test does not call,
// each with why no owner-side answer of it can carry an internal note.
var notApplicable = map[string]string{
	// A draft is written from the owner's own text and names no case.
	"intent/v1/create": "creates a draft intent from the input alone; it never reads a case",
	"intent/v1/submit": "creates or submits an intent from the input alone; it never reads a case",
}

// Every procedure that returns case data, as the registry declares them,
// is called as an owner-side principal on a case holding an internal note
// (or listed in notApplicable with a reason): no answer — data or refusal —
// carries the note's text, its id, the word "internal", or its count. The
// count is checked by calling the procedure on a control case, told the
// same story without the internal note: the two answers must have the same
// shape (every string blanked; keys, numbers, booleans and list lengths
// kept). A procedure added later that returns case data fails this test
// until it is covered here.
func TestNoCaseDataProcedureLeaksInternalNotesToTheOwnerSide(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	b.Cases()
	owner, staff := w.RiveraOwner, b.Principal(w.Staff, w.Rivera.ID)
	prop := b.NewProperty(owner, "Rivera home").ID
	// A delegated agent with FULL_AUTHORITY over the property is owner side
	// too: it gets the owner's answers, and never an internal note.
	agent := b.Member(w.Rivera, "agent@rivera.test", "DELEGATED_AGENT")
	grant := call[delegation.Delegation](t, b, owner, "delegation/v1/grant", delegation.GrantInput{DelegateID: agent.UserID,
		PropertyIDs: []string{prop}, AuthorityTypes: []delegation.AuthorityType{"FULL_AUTHORITY"}})
	call[delegation.Delegation](t, b, agent, "delegation/v1/accept", delegation.AcceptInput{ID: grant.ID})

	var covered []string
	for _, p := range b.App.Registry.All() {
		path := p.Path()
		isCaseData := slices.Contains(caseDataResources, p.Resource) || reaches(p.Output, caseDataTypes, map[reflect.Type]bool{})
		_, ex := exercised[path]
		_, na := notApplicable[path]
		switch {
		case isCaseData && !ex && !na:
			t.Errorf("%s returns case data: exercise it as the owner side in this test, or say in notApplicable why it cannot leak", path)
		case isCaseData && ex && na:
			t.Errorf("%s is both exercised and not applicable", path)
		case !isCaseData && (ex || na):
			t.Errorf("%s is listed here but returns no case data; remove it", path)
		case ex:
			covered = append(covered, path)
		}
	}
	for path := range exercised {
		if _, ok := b.App.Registry.Lookup(path); !ok {
			t.Errorf("%s is exercised but not declared", path)
		}
	}
	if t.Failed() {
		return
	}
	sort.Strings(covered)

	withNote := leakStory(t, b, owner, staff, prop, "SECRET-the-owner-is-difficult")
	control := leakStory(t, b, owner, staff, prop, "")
	for _, who := range []authz.Principal{owner, agent} {
		for _, path := range covered {
			checkNoLeak(t, b, who, staff, prop, path, withNote, control)
		}
	}
}

// checkNoLeak calls path as who on both stories and compares the answers.
func checkNoLeak(t *testing.T, b *testkit.Bundle, who, staff authz.Principal, prop, path string, withNote, control leakRefs) {
	t.Helper()
	c := exercised[path]
	var bodies [2]string
	for i, r := range []leakRefs{withNote, control} {
		if c.prepare != nil {
			c.prepare(t, b, staff, r)
		}
		raw, err := json.Marshal(c.input(r))
		if err != nil {
			t.Fatal(err)
		}
		raw = []byte(strings.ReplaceAll(string(raw), "PROPERTY", prop))
		proc, _ := b.App.Registry.Lookup(path)
		key := ""
		if proc.Kind == api.Mutation {
			key = "leak-" + path + "-" + r.caseID
		}
		res := b.App.Invoker.InvokeAs(b.Ctx, who, api.Request{Procedure: proc, IdempotencyKey: key, Input: raw})
		var body any = res.Output
		var got apperr.Code
		if res.Err != nil {
			body, got = res.Err, res.Err.Code
		}
		if got != c.want {
			t.Fatalf("%s as %s: %v (%s), want %q", path, who.Roles, body, got, c.want)
		}
		out, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		bodies[i] = string(out)
	}
	leaky := bodies[0]
	for what, s := range map[string]string{"text": withNote.secret, "id": withNote.internalNoteID, "audience": "internal"} {
		if strings.Contains(strings.ToLower(leaky), strings.ToLower(s)) {
			t.Errorf("%s answers the owner side with the internal note's %s: %s", path, what, leaky)
		}
	}
	if a, b := shape(t, bodies[0]), shape(t, bodies[1]); a != b {
		t.Errorf("%s answers the owner side differently with an internal note on the case (its count shows):\n%s\n%s", path, a, b)
	}
}

// leakStory tells one case's story through the API: the owner asks, staff
// convert, work, note (internally, when secret is set), plan an action and
// add a participant.
func leakStory(t *testing.T, b *testkit.Bundle, owner, staff authz.Principal, prop, secret string) leakRefs {
	t.Helper()
	in := call[intent.Intent](t, b, owner, "intent/v1/submit", map[string]any{"propertyId": prop, "text": "The fence is falling over"})
	in = call[intent.Intent](t, b, staff, "intent/v1/convert", map[string]any{"id": in.ID})
	r := leakRefs{caseID: *in.CaseID, number: *in.CaseNumber, intentID: in.ID, secret: secret}
	for _, to := range []string{"ASSESSMENT", "IN_PROGRESS"} {
		call[cases.Case](t, b, staff, "case/v1/updateStatus", map[string]any{"id": r.caseID, "status": to})
	}
	r.sharedNoteID = call[cases.Note](t, b, staff, "case/v1/addNote", map[string]any{"caseId": r.caseID, "audience": "SHARED", "text": "booked"}).ID
	if secret != "" {
		r.internalNoteID = call[cases.Note](t, b, staff, "case/v1/addNote", map[string]any{"caseId": r.caseID, "audience": "INTERNAL", "text": secret}).ID
	}
	r.actionID = call[action.Action](t, b, staff, "action/v1/create", map[string]any{"caseId": r.caseID, "title": "Call the fencer"}).ID
	r.participantID = call[cases.Participant](t, b, staff, "case/v1/addParticipant",
		map[string]any{"caseId": r.caseID, "role": "VENDOR_CONTACT", "name": "Fence Co"}).ID
	r.hoaContextID = call[hoa.Context](t, b, owner, "hoa/v1/createContext", map[string]any{"propertyId": prop, "name": "HOA of " + r.number}).ID
	r.approvalID = call[hoa.Approval](t, b, staff, "hoa/v1/createApproval",
		map[string]any{"caseId": r.caseID, "contextId": r.hoaContextID, "type": "ARCHITECTURAL"}).ID
	return r
}

var setupCalls atomic.Int64

// call runs a setup step that must succeed (a mutation under a key of its
// own).
func call[O any](t *testing.T, b *testkit.Bundle, p authz.Principal, path string, input any) O {
	t.Helper()
	out, err := testkit.Call[O](b, p, path, input, fmt.Sprintf("setup-%s-%d", path, setupCalls.Add(1)))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return out
}

// shape blanks every string of a JSON document: what is left (keys,
// numbers, booleans, list lengths) must not depend on notes the caller
// cannot read.
func shape(t *testing.T, doc string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		t.Fatal(err)
	}
	var blank func(v any) any
	blank = func(v any) any {
		switch x := v.(type) {
		case string:
			return ""
		case []any:
			for i := range x {
				x[i] = blank(x[i])
			}
		case map[string]any:
			for k := range x {
				x[k] = blank(x[k])
			}
		}
		return v
	}
	out, _ := json.Marshal(blank(v))
	return string(out)
}
