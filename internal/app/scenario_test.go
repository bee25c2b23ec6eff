package app_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/hestami/concierge/internal/action"
	"github.com/hestami/concierge/internal/api"
	"github.com/hestami/concierge/internal/apperr"
	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/cases"
	"github.com/hestami/concierge/internal/delegation"
	"github.com/hestami/concierge/internal/identity"
	"github.com/hestami/concierge/internal/intent"
	"github.com/hestami/concierge/internal/listing"
	"github.com/hestami/concierge/internal/money"
	"github.com/hestami/concierge/internal/testkit"
)

// story is what one organization's run of the scenario produced.
type story struct {
	org                          identity.Organization
	intentID, caseID, caseNumber string
	noteText                     string // an internal note the owner must never see
}

// An owner's request, end to end, through the same pipeline as the API and
// the CLI: intent → classification → conversion → claim → clarification
// loop → an action → resolve (refused while the action is open) → close —
// as the owner, the concierge staff member and a delegated agent. In one
// organization the owner speaks; in the other an OWNER grants a delegated
// agent CASE_MANAGEMENT on the property, and the agent submits the request
// and answers the clarification under that grant; once the grant is
// revoked the agent sees nothing. Both stories run at the same time, and
// neither organization ever sees a row of the other.
func TestOwnersRequestEndToEndInTwoOrganizations(t *testing.T) {
	t.Parallel()
	b := testkit.Setup(t)
	w := b.NewWorld()
	b.Cases() // status changes are durable workflows
	owners := map[string]authz.Principal{w.Rivera.ID: w.RiveraOwner, w.Oak.ID: w.OakTrustee}
	oakOwner := b.Member(w.Oak, "owner@oak.test", "OWNER")
	var grantID string
	// Who speaks for the owner in each organization, given its property.
	requesters := map[string]func(propertyID string) (authz.Principal, error){
		w.Rivera.ID: func(string) (authz.Principal, error) { return w.RiveraOwner, nil },
		w.Oak.ID: func(propertyID string) (authz.Principal, error) {
			// Before the grant the agent may not even submit.
			if _, err := testkit.Call[intent.Intent](b, w.OakAgent, "intent/v1/submit",
				intent.SubmitInput{PropertyID: propertyID, Text: "test"}, "agent-early"); apperr.CodeOf(err) != apperr.Forbidden {
				return authz.Principal{}, fmt.Errorf("agent submits without a grant: %v", err)
			}
			d, err := testkit.Call[delegation.Delegation](b, oakOwner, "delegation/v1/grant", delegation.GrantInput{
				DelegateID: w.OakAgent.UserID, PropertyIDs: []string{propertyID},
				AuthorityTypes: []delegation.AuthorityType{"CASE_MANAGEMENT"}, Limit: &money.Money{Amount: "5000.00", Currency: "USD"}}, "grant")
			if err != nil {
				return authz.Principal{}, err
			}
			grantID = d.ID
			_, err = testkit.Call[delegation.Delegation](b, w.OakAgent, "delegation/v1/accept", delegation.AcceptInput{ID: d.ID}, "accept")
			return w.OakAgent, err
		},
	}

	var mu sync.Mutex
	stories := map[string]*story{}
	var wg sync.WaitGroup
	for _, org := range []identity.Organization{w.Rivera, w.Oak} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := runStory(t, b, org, owners[org.ID], requesters[org.ID], b.Principal(w.Staff, org.ID))
			mu.Lock()
			stories[org.ID] = s
			mu.Unlock()
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// The grant revoked, the agent sees nothing of the story any more.
	oak := stories[w.Oak.ID]
	if _, err := testkit.Call[delegation.Delegation](b, oakOwner, "delegation/v1/revoke", delegation.RevokeInput{ID: grantID}, "revoke"); err != nil {
		t.Fatalf("revoke: %v", err)
	}
	if _, err := testkit.Call[cases.Case](b, w.OakAgent, "case/v1/get", api.GetInput{ID: oak.caseID}, ""); apperr.CodeOf(err) != apperr.NotFound {
		t.Errorf("agent reads the case: %v", err)
	}
	if page, err := testkit.Call[listing.Page[intent.Intent]](b, w.OakAgent, "intent/v1/list", intent.ListInput{}, ""); err != nil || len(page.Items) != 0 {
		t.Errorf("agent lists intents: %d %v", len(page.Items), err)
	}

	// Neither organization sees the other's rows, by id or in a list.
	for _, pair := range [][2]string{{w.Rivera.ID, w.Oak.ID}, {w.Oak.ID, w.Rivera.ID}} {
		me, other := owners[pair[0]], stories[pair[1]]
		staff := b.Principal(w.Staff, pair[0])
		for _, p := range []authz.Principal{me, staff} {
			if _, err := testkit.Call[cases.Case](b, p, "case/v1/get", api.GetInput{ID: other.caseID}, ""); apperr.CodeOf(err) != apperr.NotFound {
				t.Errorf("%s reads the other organization's case: %v", p.OrgID, err)
			}
			if _, err := testkit.Call[intent.Intent](b, p, "intent/v1/get", intent.IDInput{ID: other.intentID}, ""); apperr.CodeOf(err) != apperr.NotFound {
				t.Errorf("%s reads the other organization's intent: %v", p.OrgID, err)
			}
			page, err := testkit.Call[listing.Page[cases.Case]](b, p, "case/v1/list", cases.ListInput{Limit: 100}, "")
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Items {
				if c.ID == other.caseID || c.OrganizationID != pair[0] {
					t.Errorf("%s lists a case of another organization: %+v", p.OrgID, c)
				}
			}
		}
	}
}

// runStory plays one organization's request; it reports failures on t and
// returns what it made.
func runStory(t *testing.T, b *testkit.Bundle, org identity.Organization, owner authz.Principal,
	requester func(propertyID string) (authz.Principal, error), staff authz.Principal) *story {
	s := &story{org: org}
	key := func(step string) string { return org.ID[:8] + "-" + step }
	fail := func(step string, err error) *story {
		t.Errorf("%s, %s: %v", org.Name, step, err)
		return s
	}
	prop := b.NewProperty(owner, org.Name+" home")
	speaker, err := requester(prop.ID)
	if err != nil {
		return fail("requester", err)
	}

	// The owner (or its agent) says what is wrong; the classifier proposes.
	in, err := testkit.Call[intent.Intent](b, speaker, "intent/v1/submit",
		intent.SubmitInput{PropertyID: prop.ID, Text: "Water is leaking through the kitchen ceiling and the floor is flooding",
			Constraints: &intent.Constraints{BudgetCeiling: &money.Money{Amount: "2500.00", Currency: "USD"}}}, key("submit"))
	if err != nil {
		return fail("submit", err)
	}
	if in.Status != intent.Submitted || in.Proposal == nil || in.Proposal.Category == "" {
		return fail("submit", fmt.Errorf("no proposal: %+v", in))
	}
	s.intentID = in.ID

	// Staff convert it: once.
	in, err = testkit.Call[intent.Intent](b, staff, "intent/v1/convert", intent.IDInput{ID: in.ID}, key("convert"))
	if err != nil || in.CaseID == nil {
		return fail("convert", err)
	}
	s.caseID, s.caseNumber = *in.CaseID, *in.CaseNumber
	if _, err := testkit.Call[intent.Intent](b, staff, "intent/v1/convert", intent.IDInput{ID: in.ID}, key("convert-again")); apperr.CodeOf(err) != apperr.Conflict {
		return fail("second conversion", err)
	}

	// Staff claim and work it; the owner may not move it.
	if c, err := testkit.Call[cases.Case](b, staff, "case/v1/claim", api.GetInput{ID: s.caseID}, key("claim")); err != nil || c.AssigneeID == nil || *c.AssigneeID != staff.UserID {
		return fail("claim", err)
	}
	for i, to := range []cases.Status{cases.Assessment, cases.InProgress} {
		if _, err := testkit.Call[cases.Case](b, staff, "case/v1/updateStatus", cases.UpdateStatusInput{ID: s.caseID, Status: to, Reason: "working"}, key(fmt.Sprint("status-", i))); err != nil {
			return fail("status "+string(to), err)
		}
	}
	if _, err := testkit.Call[cases.Case](b, owner, "case/v1/updateStatus", cases.UpdateStatusInput{ID: s.caseID, Status: cases.OnHold}, key("owner-hold")); apperr.CodeOf(err) != apperr.Forbidden {
		return fail("owner moves the case", err)
	}

	// The clarification loop.
	cl, err := testkit.Call[cases.Clarification](b, staff, "case/v1/requestClarification", cases.ClarifyInput{ID: s.caseID, Text: "Is the water still running?"}, key("ask"))
	if err != nil || cl.Case.Status != cases.PendingOwner {
		return fail("ask", err)
	}
	cl, err = testkit.Call[cases.Clarification](b, speaker, "case/v1/answerClarification", cases.ClarifyInput{ID: s.caseID, Text: "Yes, I shut the main valve."}, key("answer"))
	if err != nil || cl.Case.Status != cases.InProgress {
		return fail("answer", err)
	}
	s.noteText = "internal: vendor " + org.ID[:8] + " overcharged last time"
	if _, err := testkit.Call[cases.Note](b, staff, "case/v1/addNote", cases.AddNoteInput{CaseID: s.caseID, Audience: cases.Internal, Kind: cases.General, Text: s.noteText}, key("note")); err != nil {
		return fail("internal note", err)
	}

	// An action: resolving is refused while it is open.
	act, err := testkit.Call[action.Action](b, staff, "action/v1/create", action.CreateInput{CaseID: s.caseID, Title: "Book the plumber", Type: "VENDOR_CONTACT"}, key("action"))
	if err != nil {
		return fail("action", err)
	}
	resolve := cases.UpdateStatusInput{ID: s.caseID, Status: cases.Resolved, ResolutionSummary: "Pipe replaced"}
	if _, err := testkit.Call[cases.Case](b, staff, "case/v1/updateStatus", resolve, key("resolve-early")); apperr.CodeOf(err) != apperr.InvalidTransition || !strings.Contains(err.Error(), "Book the plumber") {
		return fail("resolve with an open action", err)
	}
	if _, err := testkit.Call[action.Action](b, staff, "action/v1/start", action.StartInput{ID: act.ID}, key("action-start")); err != nil {
		return fail("action start", err)
	}
	if _, err := testkit.Call[action.Action](b, staff, "action/v1/complete", action.CompleteInput{ID: act.ID, Outcome: "Pipe replaced"}, key("action-done")); err != nil {
		return fail("action done", err)
	}
	if _, err := testkit.Call[cases.Case](b, staff, "case/v1/updateStatus", resolve, key("resolve")); err != nil {
		return fail("resolve", err)
	}
	if _, err := testkit.Call[cases.Case](b, staff, "case/v1/updateStatus", cases.UpdateStatusInput{ID: s.caseID, Status: cases.Closed, Reason: "owner confirmed"}, key("close")); err != nil {
		return fail("close", err)
	}

	// The owner and whoever spoke for it see the whole story, and none of
	// the internal note.
	for _, p := range []authz.Principal{owner, speaker} {
		if err := checkOwnerView(b, p, s); err != nil {
			return fail("owner-side view", err)
		}
	}
	return s
}

func checkOwnerView(b *testkit.Bundle, owner authz.Principal, s *story) error {
	c, err := testkit.Call[cases.Case](b, owner, "case/v1/get", api.GetInput{ID: s.caseNumber}, "")
	if err != nil || c.Status != cases.Closed {
		return fmt.Errorf("reads the closed case: %v", err)
	}
	var path []string
	for _, h := range c.History {
		path = append(path, string(h.To))
	}
	if got := strings.Join(path, ","); got != "INTAKE,ASSESSMENT,IN_PROGRESS,PENDING_OWNER,IN_PROGRESS,RESOLVED,CLOSED" {
		return fmt.Errorf("history %s", got)
	}
	notes, err := testkit.Call[listing.Page[cases.Note]](b, owner, "case/v1/listNotes", cases.ListNotesInput{CaseID: s.caseID}, "")
	if err != nil || len(notes.Items) != 2 {
		return fmt.Errorf("%d notes, %v", len(notes.Items), err)
	}
	for _, n := range notes.Items {
		if n.Audience != cases.Shared || strings.Contains(n.Text, "overcharged") {
			return fmt.Errorf("sees note %+v", n)
		}
	}
	return nil
}
