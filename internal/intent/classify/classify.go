// Package classify proposes a category and a priority for an owner's
// free-form request (domain.md §3). A proposal is a recommendation, never a
// decision: the intent domain stores it apart from any human override, with
// the classifier's name and version, so that a later AI recommender can
// implement Classifier without a schema or API change (domain.md §11).
//
// The package needs no database; it imports internal/cases only for the
// Category and Priority types, whose values are declared there once.
package classify

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/hestami/concierge/internal/cases"
)

// Classifier proposes a category and a priority for an owner's request.
// Implementations must be safe for concurrent use.
type Classifier interface {
	Classify(text string) Proposal
	// Name and Version identify what produced a proposal; both are stored
	// with it so that a proposal can always be traced to its rules or model.
	Name() string
	Version() string
}

// Proposal is a classifier's recommendation.
type Proposal struct {
	Category cases.Category `json:"category"`
	Priority cases.Priority `json:"priority"`
	// Confidence is in [0, 1]: 0 when nothing in the text was recognised.
	Confidence float64 `json:"confidence"`
	// Cues are the reasons: every phrase recognised, negated ones included
	// (they explain why "no leak" did not make a repair).
	Cues       []Cue  `json:"cues"`
	Classifier string `json:"classifier"`
	Version    string `json:"version"`
}

// Cue is one phrase of the text that a rule recognised.
type Cue struct {
	// Phrase is the owner's own words, lower-cased, as matched.
	Phrase string `json:"phrase"`
	// Category and Priority are what the phrase supports; either may be
	// empty (an urgency word supports no category).
	Category cases.Category `json:"category,omitempty"`
	Priority cases.Priority `json:"priority,omitempty"`
	// Negated cues ("no leak", "isn't flooding") count for nothing.
	Negated bool `json:"negated,omitempty"`
	// Rule is the pattern (or combination) that recognised the phrase.
	Rule string `json:"rule"`
}

// Rules is the deterministic, offline classifier: phrase rules over
// normalised words, with negation scopes and combinations, all read from the
// tables of rules.go.
type Rules struct {
	rules   []compiled
	combos  []combo
	lexicon map[string]string // surface form → lemma
	vocab   map[string]bool   // every word a rule or the lexicon knows
	// defaults is each category's priority when no phrase implies one.
	defaults map[cases.Category]cases.Priority
	version  string
}

// NewRules compiles the rule tables. It panics on a table that names an
// unknown category or priority, a programming error that any test exposes.
func NewRules() *Rules {
	r := &Rules{lexicon: map[string]string{}, vocab: map[string]bool{}}
	for _, l := range lexicon {
		r.vocab[l.lemma] = true
		r.lexicon[l.lemma] = l.lemma // a lemma is never bent further ("weed" is not "we")
		for _, f := range l.forms {
			r.lexicon[f] = l.lemma
			r.vocab[f] = true
		}
	}
	for i, row := range ruleTable {
		for _, c := range compile(row, i) {
			for _, el := range c.elems {
				for _, w := range el.words {
					r.vocab[w] = true
				}
			}
			r.rules = append(r.rules, c)
		}
	}
	r.defaults = map[cases.Category]cases.Priority{}
	for _, c := range cases.Categories.Values() {
		p, ok := defaultPriority[string(c)]
		if !ok {
			panic("classify: no default priority for " + string(c))
		}
		r.defaults[c] = priority(p)
	}
	// Longer phrases claim their words first, so that "smoke detector" is
	// not also read as "smoke", nor "no heat" as a negated "heat".
	slices.SortStableFunc(r.rules, func(a, b compiled) int { return b.length - a.length })
	for _, c := range comboTable {
		r.combos = append(r.combos, combo{tags: c.tags, priority: priority(c.priority), category: category(c.category), label: c.label})
	}
	h := sha256.New()
	fmt.Fprintf(h, "%v|%v|%v|%v|%v|%v|%v|%v", lexicon, ruleTable, comboTable, negators, pseudoNegations,
		scopeBreakers, fillers, defaultPriority)
	fmt.Fprintf(h, "|%v|%v|%d", precedence, replacements, negationWindow)
	// The semantic version changes by hand; the digest changes by itself
	// whenever any table does, so a stored proposal always names its rules.
	r.version = ruleVersion + "+" + hex.EncodeToString(h.Sum(nil))[:8]
	return r
}

// Name is "rules".
func (*Rules) Name() string { return "rules" }

// Version is the rules' semantic version and a digest of the tables.
func (r *Rules) Version() string { return r.version }

// Classify proposes a category and priority for text.
func (r *Rules) Classify(text string) Proposal {
	toks := r.tokenize(text)
	ms := r.match(toks)

	score := map[cases.Category]float64{}
	var cues []Cue
	tags := map[string][]string{}
	raised := cases.Priority("")
	relax := false
	for _, m := range ms {
		cues = append(cues, Cue{Phrase: m.phrase, Category: m.rule.category, Priority: m.rule.priority, Negated: m.negated,
			Rule: m.rule.pattern})
		if m.negated {
			continue
		}
		if m.rule.tag != "" {
			tags[m.rule.tag] = append(tags[m.rule.tag], m.phrase)
		}
		if m.counted {
			score[m.rule.category] += m.rule.weight
		}
		switch {
		case m.rule.priority == "":
		case m.rule.priority == lowest():
			relax = true
		default:
			raised = maxPriority(raised, m.rule.priority)
		}
	}
	for _, c := range r.combos {
		phrases, ok := allTags(tags, c.tags)
		if !ok {
			continue
		}
		cues = append(cues, Cue{Phrase: strings.Join(phrases, " + "), Category: c.category, Priority: c.priority,
			Rule: c.label})
		if c.category != "" {
			score[c.category] += comboWeight
		}
		raised = maxPriority(raised, c.priority)
	}

	cat, top, second := best(score)
	p := maxPriority(r.defaults[cat], raised)
	// An owner's "no rush" lowers a routine request one step, never a hazard.
	if relax && rank(p) <= rank("HIGH") && p != lowest() {
		p = cases.Priorities.Values()[rank(p)-1]
	}
	if cues == nil {
		cues = []Cue{}
	}
	return Proposal{Category: cat, Priority: p, Confidence: confidence(top, second), Cues: cues,
		Classifier: r.Name(), Version: r.version}
}

// confidence grows with the winning score and with its margin over the
// runner-up: one weak cue gives about 0.5, a clear single reading about 0.8+.
func confidence(top, second float64) float64 {
	if top <= 0 {
		return 0
	}
	c := (top / (top + second)) * (top / (top + 2))
	return math.Round(c*100) / 100
}

func best(score map[cases.Category]float64) (cases.Category, float64, float64) {
	cat, top, second := fallbackCategory(), 0.0, 0.0
	for _, c := range precedence {
		s := score[category(c)]
		switch {
		case s > top:
			cat, top, second = category(c), s, top
		case s > second:
			second = s
		}
	}
	return cat, top, second
}

func allTags(have map[string][]string, want []string) ([]string, bool) {
	var phrases []string
	for _, t := range want {
		if len(have[t]) == 0 {
			return nil, false
		}
		phrases = append(phrases, have[t][0])
	}
	return phrases, true
}

func rank(p cases.Priority) int { return slices.Index(cases.Priorities.Values(), p) }

func lowest() cases.Priority { return cases.Priorities.Values()[0] }

func maxPriority(a, b cases.Priority) cases.Priority {
	if a == "" || rank(b) > rank(a) {
		return b
	}
	return a
}

func fallbackCategory() cases.Category { return category(precedence[len(precedence)-1]) }

func category(s string) cases.Category {
	if s == "" {
		return ""
	}
	if !cases.Categories.Contains(s) {
		panic("classify: unknown category " + s)
	}
	return cases.Category(s)
}

func priority(s string) cases.Priority {
	if s == "" {
		return ""
	}
	if !cases.Priorities.Contains(s) {
		panic("classify: unknown priority " + s)
	}
	return cases.Priority(s)
}

// combo raises the priority when every tagged phrase occurs in a request.
type combo struct {
	tags     []string
	priority cases.Priority
	category cases.Category
	label    string
}
