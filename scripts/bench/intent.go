package main

// intent/v1/submit: an owner's request in their own words, created and
// submitted in one call and classified on the way. The full stack runs it
// through the whole pipeline; the raw baseline writes the same rows (the
// intent with its proposal, the "submitted" and "classified" activity
// events, the idempotency record) with plain pgx in one pipelined
// transaction, and runs the same classifier on the same text, so the ratio
// is the pipeline's cost, not the classifier's (which is printed apart).

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/hestami/concierge/internal/authz"
	"github.com/hestami/concierge/internal/idempotency"
	"github.com/hestami/concierge/internal/intent"
	"github.com/hestami/concierge/internal/intent/classify"
)

const (
	opSubmit        = "submit"
	submitProcedure = "intent/v1/submit"
	rawSubmitPath   = "/raw/intent/v1/submit"
)

// Registered here rather than in the tables of load.go and report.go, so
// that entries added there in parallel merge without touching these.
func init() {
	scenarios = append(scenarios,
		scenario{"submit-full", "g. intent/v1/submit full stack (RPC)", opSubmit, true},
		scenario{"submit-raw", "h. submit           raw pgx, same rows", opSubmit, false},
	)
	runOrder = append(runOrder, "submit-full", "submit-raw")
	scenarioNames["submit-full"], scenarioNames["submit-raw"] = true, true
	// No product target for submit yet: the ratio is reported, not judged.
	targets = append(targets, struct {
		op, full, raw string
		min           float64
	}{"submit", "submit-full", "submit-raw", 0})
}

// ownerTexts are requests as owners write them: casual, misspelled, one
// line or several, urgent and idle, across every category the classifier
// knows (some from internal/intent/classify's corpus, some longer).
var ownerTexts = []string{
	"water is leaking through the kitchen ceiling",
	"roof leek over the garage, getting worse every time it rains",
	"I smell gas in the basement near the water heater!!",
	"no heat in the house and its freezing outside, we have a newborn",
	"The heater in the guest room makes a rattling noise, no rush",
	"kitchen faucet drips constantly, can you send someone whenever convenient",
	"toilet upstairs keeps running",
	"Dishwasher not draining, standing water in the bottom",
	"There's black mold in the shower grout and behind the toilet",
	"Front door lock is broken, can't lock the house at night",
	"AC stopped working and it's supposed to be 105 this week, my mom is elderly and lives there",
	"breaker keeps tripping when we run the microwave",
	"Pipe burst in the crawlspace!! water everywhere",
	"smoke detector in hallway chirping, prob needs a battery",
	"Please schedule the annual furnace tune-up before winter",
	"gutters need cleaning, lots of leaves",
	"Ants in the kitchen again, need pest control",
	"We want to remodel the master bathroom, walk-in shower and double vanity",
	"Would like to install an EV charger in the garage",
	"Do I need a permit to replace the water heater?",
	"got a violation notice from the city about the overgrown yard, have 10 days to fix it",
	"Need HOA approval to build a new fence in the backyard",
	"h.o.a. wants our paint color request by friday",
	"Can we get 3 quotes for replacing the roof?",
	"need a bid from a couple of electricians for a panel upgrade",
	"The contractor never finished the bathroom and wont return calls, I want a refund",
	"we were charged twice for the plumber visit in march",
	"Any update on the window repair? haven't heard anything",
	"quick question - when is trash pickup in this neighborhood?",
	"there's no leak, but the water pressure is really low in the shower",
	"Tree fell on the roof during the storm, there's a hole and rain coming in",
	"Locked out of the rental, guests arriving in 2 hours",
	"asap - kitchen sink is clogged and backing up",
	"whenever you get a chance, the screen door needs a new spring",
	"Hi! We just got back from two weeks away and the house smells musty. There's a brown stain on the " +
		"ceiling of the downstairs bathroom that wasn't there before, and the drywall feels soft when I press it. " +
		"I don't see water dripping right now. Could someone come look this week? The dog is home, please text first.",
	"Tenant in unit B says the bathroom fan is super loud and the light flickers when it runs.\n" +
		"Also the dishwasher door doesn't latch anymore. Neither is urgent but both have been going on a month.",
	"Leaking water heater, there's a puddle and it's getting bigger. Also need a quote for a new one, " +
		"ideally a tankless unit if the gas line can take it. We are home after 5pm on weekdays.",
	"My HOA fined me for the trash cans being visible from the street. I think it's unfair because half the " +
		"street does the same and nobody else got a letter. I'd like to appeal before the 30 days are up.",
	"Thinking ahead to spring: we'd like the deck stained, the flower beds mulched, and someone to look at the " +
		"sprinkler zone by the driveway that never seems to come on. Happy to get a couple of quotes first.",
	"the stairs railing is loose, my dad almost fell",
}

// ownerTitles are titles owners give, when they give one.
var ownerTitles = []string{"Need help at the house", "Question for the concierge", "Kitchen", "Follow-up", "Help!!", "Upstairs bathroom"}

// submitInput is the i-th request of worker w: every fourth has a title of
// the owner's own, every third states constraints.
func submitInput(w, i int, t *tenant) intent.SubmitInput {
	n := w*7919 + i // spread the workers over the texts
	if n < 0 {
		n = -n
	}
	in := intent.SubmitInput{PropertyID: t.PropertyID, Text: ownerTexts[n%len(ownerTexts)]}
	if n%4 == 0 {
		in.Title = ownerTitles[(n/4)%len(ownerTitles)]
	}
	if n%3 == 0 {
		from, to := intent.Date("2027-03-01"), intent.Date("2027-03-15")
		in.Constraints = &intent.Constraints{BudgetCeiling: &intent.Money{Amount: "1500.00", Currency: "USD"},
			PreferredFrom: &from, PreferredTo: &to, AccessNotes: "Lockbox on the side gate, code with the concierge."}
	}
	return in
}

func submitBody(w, i int, t *tenant) []byte {
	b, _ := json.Marshal(map[string]any{"json": submitInput(w, i, t)})
	return b
}

func (l *loader) submitURL() string {
	if l.sc.full {
		return l.st.fullURL + "/api/v1/rpc/" + submitProcedure
	}
	return l.st.rawURL + rawSubmitPath
}

// checkSubmit checks the sanity request's answer and, in the database,
// that it wrote the rows both transports are meant to write.
func (l *loader) checkSubmit(ctx context.Context, answer json.RawMessage, t *tenant, key string) error {
	var got intent.Intent
	if err := json.Unmarshal(answer, &got); err != nil || got.ID == "" || got.OrganizationID != t.OrgID ||
		got.Status != intent.Submitted || got.Proposal == nil || got.Proposal.Classifier == "" || got.Category == "" {
		return fmt.Errorf("submit answered no classified SUBMITTED intent of organization %s: %s", t.OrgID, snippet(answer))
	}
	var verbs string
	var keys int
	err := l.st.rawPool.QueryRow(ctx, `SELECT
			(SELECT string_agg(verb || '/' || actor_kind, ',' ORDER BY id) FROM activity_events WHERE entity_type = 'intent' AND entity_id = $1),
			(SELECT count(*) FROM idempotency_keys WHERE organization_id = $2 AND principal_id = $3 AND procedure = $4 AND key = $5 AND output IS NOT NULL)`,
		got.ID, t.OrgID, t.UserID, submitProcedure, key).Scan(&verbs, &keys)
	if err != nil {
		return err
	}
	if verbs != "submitted/HUMAN,classified/SYSTEM" || keys != 1 {
		return fmt.Errorf("submit wrote activity %q and %d idempotency record(s), want submitted/HUMAN,classified/SYSTEM and 1", verbs, keys)
	}
	return nil
}

// intentRules is the classifier the intent service uses (the same tables).
var intentRules = classify.NewRules()

// The columns the intent service reads back, in its order.
const intentColumns = `id, organization_id, property_id, title, text, status,
	budget_amount::text, budget_currency, preferred_from::text, preferred_to::text, access_notes,
	proposal, proposed_at, override_category, override_priority, override_reason, override_by, override_at,
	case_id, (SELECT c.number FROM cases c WHERE c.id = intents.case_id), status_reason,
	created_by, submitted_by, created_at, updated_at, status_changed_at`

func scanIntent(r pgx.Row) (intent.Intent, error) {
	var i intent.Intent
	var amount, currency, oCat, oPri, oBy *string
	var proposal []byte
	var oAt *time.Time
	var oReason string
	err := r.Scan(&i.ID, &i.OrganizationID, &i.PropertyID, &i.Title, &i.Text, &i.Status,
		&amount, &currency, &i.Constraints.PreferredFrom, &i.Constraints.PreferredTo, &i.Constraints.AccessNotes,
		&proposal, &i.ProposedAt, &oCat, &oPri, &oReason, &oBy, &oAt,
		&i.CaseID, &i.CaseNumber, &i.StatusReason, &i.CreatedBy, &i.SubmittedBy, &i.CreatedAt, &i.UpdatedAt, &i.StatusChangedAt)
	if err != nil {
		return i, err
	}
	if amount != nil && currency != nil {
		i.Constraints.BudgetCeiling = &intent.Money{Amount: *amount, Currency: *currency}
	}
	if proposal != nil {
		i.Proposal = &classify.Proposal{}
		if err := json.Unmarshal(proposal, i.Proposal); err != nil {
			return i, err
		}
		i.Category, i.Priority = i.Proposal.Category, i.Proposal.Priority
	}
	return i, nil // a new intent has no override
}

// submit creates and submits an intent as the intent service does, minus
// the pipeline: decode, the same checks of the fields, the title, the
// classifier, then one transaction of two round trips — BEGIN and the
// INSERT … RETURNING, then both activity events, the idempotency record and
// COMMIT.
func (h *rawHandler) submit(w http.ResponseWriter, r *http.Request) {
	org, user, ok := h.org(w, r)
	if !ok {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if err := idempotency.ValidateKey(key); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var in intent.SubmitInput
	if !decode(w, r, &in) {
		return
	}
	fingerprint, err := idempotency.Fingerprint(&in)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	i := intent.Intent{PropertyID: in.PropertyID, Text: strings.TrimSpace(in.Text), Title: strings.TrimSpace(in.Title), Status: intent.Submitted}
	if in.Constraints != nil {
		i.Constraints = *in.Constraints
		i.Constraints.AccessNotes = strings.TrimSpace(in.Constraints.AccessNotes)
	}
	if msg := checkDraft(i); msg != "" {
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	if i.Title == "" {
		i.Title = titleOf(i.Text)
	}
	text := i.Text
	if !strings.Contains(strings.ToLower(i.Text), strings.ToLower(strings.TrimSuffix(i.Title, "…"))) {
		text = i.Title + "\n" + i.Text
	}
	prop := intentRules.Classify(text)
	if prop.Cues == nil {
		prop.Cues = []classify.Cue{}
	}
	proposal, err := json.Marshal(prop)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	var amount, currency any
	if b := i.Constraints.BudgetCeiling; b != nil {
		amount, currency = b.Amount, b.Currency
	}

	out, err := h.writeSubmitted(r.Context(), org, user, key, fingerprint, i, amount, currency, proposal, prop)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	reply(w, out)
}

// writeSubmitted is the transaction: the intent, its two events and the
// idempotency record with the answer.
func (h *rawHandler) writeSubmitted(ctx context.Context, org, user, key, fingerprint string, i intent.Intent,
	amount, currency any, proposal []byte, prop classify.Proposal) (intent.Intent, error) {
	conn, err := h.pool.Acquire(ctx)
	if err != nil {
		return intent.Intent{}, err
	}
	// Released inside a failed transaction, the pool closes the connection.
	defer conn.Release()
	b := &pgx.Batch{}
	b.Queue(`BEGIN`)
	b.Queue(`INSERT INTO intents (organization_id, property_id, title, text, status,
			budget_amount, budget_currency, preferred_from, preferred_to, access_notes,
			proposal, proposed_category, proposed_priority, classifier, classifier_version, proposed_at, submitted_by, created_by)
		VALUES ($1, $2, $3, $4, $5, $6::numeric, $7, $8::date, $9::date, $10, $11, $12, $13, $14, $15, now(), $16, $16)
		RETURNING `+intentColumns,
		org, i.PropertyID, i.Title, i.Text, i.Status, amount, currency, i.Constraints.PreferredFrom, i.Constraints.PreferredTo,
		i.Constraints.AccessNotes, proposal, string(prop.Category), string(prop.Priority), prop.Classifier, prop.Version, user)
	br := conn.SendBatch(ctx, b)
	_, err = br.Exec()
	var out intent.Intent
	if err == nil {
		out, err = scanIntent(br.QueryRow())
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return out, err
	}
	after, err := json.Marshal(out)
	if err != nil {
		return out, err
	}
	const event = `INSERT INTO activity_events
		(organization_id, entity_type, entity_id, verb, actor_kind, actor_id, before, after, trace_id, span_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`
	b = &pgx.Batch{}
	b.Queue(event, org, "intent", out.ID, "submitted", string(authz.Human), user, nil, after, "", "")
	b.Queue(event, org, "intent", out.ID, "classified", string(authz.System), user, nil, proposal, "", "")
	b.Queue(`INSERT INTO idempotency_keys (organization_id, principal_id, procedure, key, fingerprint, output, error, trace_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, org, user, submitProcedure, key, fingerprint, after, nil, "")
	b.Queue(`COMMIT`)
	if err := conn.SendBatch(ctx, b).Close(); err != nil {
		return out, err
	}
	return out, nil
}

// checkDraft is the intent service's field checks of a new intent, as one
// message.
func checkDraft(i intent.Intent) string {
	var bad []string
	if i.PropertyID == "" {
		bad = append(bad, "propertyId is required")
	}
	if i.Text == "" {
		bad = append(bad, "text must not be blank")
	}
	c := i.Constraints
	if b := c.BudgetCeiling; b != nil {
		if r, ok := new(big.Rat).SetString(b.Amount); !ok || r.Sign() <= 0 {
			bad = append(bad, "the budget ceiling must be greater than 0")
		}
	}
	if c.PreferredFrom != nil && c.PreferredTo != nil && *c.PreferredTo < *c.PreferredFrom {
		bad = append(bad, "preferredTo must not be before preferredFrom")
	}
	return strings.Join(bad, "; ")
}

// titleOf is the intent service's default title: the first line of the
// text, cut to a readable length.
func titleOf(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	line = strings.Join(strings.FieldsFunc(line, func(r rune) bool { return r < ' ' || r == ' ' || (r >= 0x7F && r <= 0x9F) }), " ")
	const limit = 80
	if utf8.RuneCountInString(line) > limit {
		line = string([]rune(line)[:limit-1]) + "…"
	}
	if line == "" {
		return "Owner request"
	}
	return line
}

// reportClassifier prints what one classification costs on these texts
// (single goroutine, after the load), which both submit scenarios pay.
func reportClassifier(out io.Writer, results map[string]result) {
	if _, ok := results["submit-full"]; !ok {
		if _, ok := results["submit-raw"]; !ok {
			return
		}
	}
	var n int
	start := time.Now()
	for time.Since(start) < 300*time.Millisecond {
		for _, t := range ownerTexts {
			intentRules.Classify(t)
		}
		n += len(ownerTexts)
	}
	per := time.Since(start) / time.Duration(n)
	fmt.Fprintf(out, "submit: both scenarios classify the text in-process (%s, %d texts): %.1f µs of CPU per request, one goroutine.\n",
		intentRules.Name()+" "+intentRules.Version(), len(ownerTexts), float64(per.Nanoseconds())/1000)
}
