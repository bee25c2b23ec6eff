package classify

import (
	"slices"
	"strings"
	"unicode"

	"github.com/hestami/concierge/internal/cases"
)

// token is one word of the text; a boundary is punctuation that ends a
// clause (a phrase never spans one, nor does a negation's scope).
type token struct {
	surface  string
	lemma    string
	boundary bool
}

// boundaryQuestion is the lemma of "?", a boundary a rule may still match
// (a question mark hints at an inquiry).
const boundaryQuestion = "?"

func (r *Rules) tokenize(text string) []token {
	s := strings.ToLower(text)
	for _, rep := range replacements {
		s = strings.ReplaceAll(s, rep[0], rep[1])
	}
	var toks []token
	var word strings.Builder
	flush := func() {
		w := strings.Trim(word.String(), "'")
		word.Reset()
		if w != "" {
			toks = append(toks, token{surface: w, lemma: r.lemma(w)})
		}
	}
	for _, c := range s {
		switch {
		case unicode.IsLetter(c) || unicode.IsDigit(c) || c == '\'':
			word.WriteRune(c)
		case c == '?':
			flush()
			toks = append(toks, token{surface: "?", lemma: boundaryQuestion, boundary: true})
		case strings.ContainsRune(".,;:!()[]\n\r\"", c):
			flush()
			toks = append(toks, token{surface: string(c), boundary: true})
		default: // spaces, hyphens, slashes: a word ends, the clause goes on
			flush()
		}
	}
	flush()
	return toks
}

// lemma maps a word to the form the rules are written in: the lexicon first
// (irregular forms, contractions, misspellings), then a known word as it is,
// then regular inflections, but only onto a word the rules know, so that an
// unknown word is never bent into a cue ("heater" stays "heater", not "heat").
func (r *Rules) lemma(w string) string {
	if l, ok := r.lexicon[w]; ok {
		return l
	}
	if r.vocab[w] {
		return w
	}
	for _, c := range inflections(w) {
		if l, ok := r.lexicon[c]; ok {
			return l
		}
		if r.vocab[c] {
			return c
		}
	}
	return w
}

// inflections lists the candidate stems of w: plurals, -ed, -ing, with a
// doubled final consonant undone (clogged → clog, dripping → drip).
func inflections(w string) []string {
	var out []string
	add := func(stem string) {
		if len(stem) >= 2 {
			out = append(out, stem)
		}
	}
	for _, suf := range []struct{ cut, add string }{
		{"ies", "y"}, {"es", ""}, {"s", ""}, {"ied", "y"}, {"ed", ""}, {"ed", "e"}, {"ing", ""}, {"ing", "e"},
	} {
		if !strings.HasSuffix(w, suf.cut) {
			continue
		}
		stem := strings.TrimSuffix(w, suf.cut)
		add(stem + suf.add)
		if (suf.cut == "ed" || suf.cut == "ing") && suf.add == "" && len(stem) >= 3 && stem[len(stem)-1] == stem[len(stem)-2] {
			add(stem[:len(stem)-1])
		}
	}
	return out
}

// element is one position of a phrase: a set of alternative lemmas, or a
// gap of up to maxGap words.
type element struct {
	words []string
	gap   bool
}

const maxGap = 3

type compiled struct {
	pattern   string
	elems     []element
	length    int // words that must match; longer rules match first
	category  cases.Category
	weight    float64
	priority  cases.Priority
	tag       string
	notBefore []string
	order     int
}

// compile turns a table row into one matcher per phrase alternative
// (alternatives are separated by ", "); all share the row's order, so a row
// scores once however many of its phrases occur.
func compile(row rule, order int) []compiled {
	var out []compiled
	for _, alt := range strings.Split(row.pattern, ",") {
		c := compiled{pattern: strings.TrimSpace(alt), category: category(row.category), weight: row.weight,
			priority: priority(row.priority), tag: row.tag, order: order}
		if row.notBefore != "" {
			c.notBefore = strings.Split(row.notBefore, "|")
		}
		for _, f := range strings.Fields(alt) {
			if f == "~" {
				c.elems = append(c.elems, element{gap: true})
				continue
			}
			c.elems = append(c.elems, element{words: strings.Split(f, "|")})
			c.length++
		}
		if c.length == 0 || c.elems[0].gap || c.elems[len(c.elems)-1].gap {
			panic("classify: bad pattern " + row.pattern)
		}
		if c.category != "" && c.weight <= 0 {
			panic("classify: a category rule needs a weight: " + row.pattern)
		}
		out = append(out, c)
	}
	return out
}

type match struct {
	rule    *compiled
	start   int
	end     int // exclusive
	words   []int
	phrase  string
	negated bool
	counted bool
}

// match finds every rule occurrence; a word belongs to at most one match.
func (r *Rules) match(toks []token) []match {
	covered := make([]bool, len(toks))
	var ms []match
	for i := range r.rules {
		rule := &r.rules[i]
		for start := range toks {
			words, ok := rule.at(toks, start, 0)
			// A context rule (a tag only) reads words other rules
			// claimed: "light fixture" is both a repair object and
			// the electrics that make a drip urgent.
			context := rule.category == "" && rule.priority == ""
			if !ok || !context && anyCovered(covered, words) {
				continue
			}
			end := words[len(words)-1] + 1
			if end < len(toks) && contains(rule.notBefore, toks[end].lemma) {
				continue
			}
			for _, w := range words {
				covered[w] = covered[w] || !context
			}
			ms = append(ms, match{rule: rule, start: start, end: end, words: words})
		}
	}
	// Negation is decided once every phrase is known: a negator inside a
	// recognised phrase ("not working", "no heat") negates nothing else.
	counted := map[int]bool{}
	sortMatches(ms)
	for i := range ms {
		m := &ms[i]
		var parts []string
		for _, t := range toks[m.start:m.end] {
			parts = append(parts, t.surface)
		}
		m.phrase = strings.Join(parts, " ")
		m.negated = negated(toks, covered, m.start)
		if !m.negated && !counted[m.rule.order] {
			m.counted, counted[m.rule.order] = true, true
		}
	}
	return ms
}

// at matches the elements from e on at token i, returning the matched words.
func (c *compiled) at(toks []token, i, e int) ([]int, bool) {
	if e == len(c.elems) {
		return nil, true
	}
	el := c.elems[e]
	if el.gap {
		for skip := 0; skip <= maxGap; skip++ {
			if skip > 0 && (i+skip-1 >= len(toks) || toks[i+skip-1].boundary) {
				break
			}
			if rest, ok := c.at(toks, i+skip, e+1); ok {
				return rest, true
			}
		}
		return nil, false
	}
	if i >= len(toks) || !contains(el.words, toks[i].lemma) {
		return nil, false
	}
	rest, ok := c.at(toks, i+1, e+1)
	if !ok {
		return nil, false
	}
	return append([]int{i}, rest...), true
}

// negated reports whether a negator governs the phrase starting at start:
// one within negationWindow content words before it, in the same clause, not
// itself part of a recognised phrase, and not a pseudo-negation ("not sure",
// "no idea").
func negated(toks []token, covered []bool, start int) bool {
	seen := 0
	for i := start - 1; i >= 0 && seen < negationWindow; i-- {
		t := toks[i]
		if t.boundary || contains(scopeBreakers, t.lemma) {
			return false
		}
		if contains(negators, t.lemma) && !covered[i] && !pseudoNegation(toks, i) {
			return true
		}
		if !contains(fillers, t.lemma) {
			seen++
		}
	}
	return false
}

func pseudoNegation(toks []token, i int) bool {
	for _, p := range pseudoNegations {
		words := strings.Fields(p)
		if i+len(words) > len(toks) {
			continue
		}
		ok := true
		for k, w := range words {
			if toks[i+k].lemma != w {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func anyCovered(covered []bool, words []int) bool {
	for _, w := range words {
		if covered[w] {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool { return slices.Contains(list, s) }

// sortMatches puts matches in text order, so cues read like the request.
func sortMatches(ms []match) {
	slices.SortStableFunc(ms, func(a, b match) int { return a.start - b.start })
}
