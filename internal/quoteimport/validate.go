package quoteimport

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Record is a row that passed the checks a row can make alone, in the
// form it is staged: trimmed, the currency upper-cased, the line items
// normalized to JSON. The checks against the database (case, vendor,
// duplicate references) follow in SQL on the staged rows.
type Record struct {
	Row         int
	ExternalRef string // "" when the file gives none
	Case        string
	Vendor      string
	Amount      string
	Currency    string
	ValidUntil  *time.Time
	Scope       string
	ScopeKey    string
	LineItems   []byte // JSON array, nil when none
}

// lineItem is one line of an imported quote, in the JSON the file and the
// writer use (the shape of vendor.LineItemInput).
type lineItem struct {
	Description string `json:"description"`
	Quantity    string `json:"quantity,omitempty"`
	UnitPrice   string `json:"unitPrice"`
}

const maxLineItems = 200

var (
	amountSyntax   = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	quantitySyntax = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,3})?$`)
	priceSyntax    = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,2})?$`)
)

// Validate checks one row as read against the rules of a single quote
// create that need no database, at instant now. It returns the record to
// stage, or the row's issues (at least one) when it is rejected.
func Validate(r *Row, now time.Time) (Record, []Issue) {
	issues := append([]Issue(nil), r.Issues...)
	add := func(c Column, code, format string, args ...any) {
		issues = append(issues, Issue{Row: r.Number, Column: string(c), Code: code, Message: fmt.Sprintf(format, args...)})
	}
	rec := Record{Row: r.Number}
	text := func(c Column, max int, required bool) string {
		v := strings.TrimSpace(r.Get(c))
		switch {
		case v == "" && required:
			add(c, "required", "%s is required", c)
		case len([]rune(v)) > max:
			add(c, "too_long", "%s is longer than %d characters", c, max)
		case c != ColScope && strings.ContainsFunc(v, unicode.IsControl):
			add(c, "invalid", "%s must be one line without control characters", c)
		case strings.ContainsRune(v, 0):
			add(c, "invalid", "%s must not contain NUL", c)
		default:
			return v
		}
		return ""
	}
	rec.ExternalRef = text(ColExternalRef, 200, false)
	rec.Case = text(ColCase, 100, true)
	rec.Vendor = text(ColVendor, 200, true)
	rec.Scope = text(ColScope, 10000, false)
	rec.ScopeKey = text(ColScopeKey, 100, false)

	cur := strings.ToUpper(strings.TrimSpace(r.Get(ColCurrency)))
	digits, known := minorDigits[cur]
	switch {
	case cur == "":
		add(ColCurrency, "required", "currency is required")
	case tooPrecise[cur]:
		add(ColCurrency, "unsupported_currency", "%s has %s decimals; quotes hold at most 2", cur, "3 or more")
	case !known:
		add(ColCurrency, "unknown_currency", "%q is no ISO 4217 currency code", truncate(cur, 20))
	default:
		rec.Currency = cur
	}

	amount := strings.TrimSpace(r.Get(ColAmount))
	switch {
	case amount == "":
		add(ColAmount, "required", "amount is required")
	case strings.HasPrefix(amount, "-"):
		add(ColAmount, "out_of_range", "amount must be greater than 0, not %s", truncate(amount, 30))
	case !amountSyntax.MatchString(amount):
		add(ColAmount, "invalid", "amount %q is not a decimal number (digits, one '.', no sign, grouping or exponent)", truncate(amount, 30))
	default:
		whole, frac, _ := strings.Cut(amount, ".")
		whole = strings.TrimLeft(whole, "0")
		switch {
		case len(whole) > 12:
			add(ColAmount, "out_of_range", "amount must be less than 1000000000000")
		case known && len(frac) > digits:
			add(ColAmount, "too_many_decimals", "amount %s has %d decimals; %s has %d", amount, len(frac), cur, digits)
		case strings.Trim(whole+frac, "0") == "":
			add(ColAmount, "out_of_range", "amount must be greater than 0")
		case known:
			rec.Amount = amount
		}
	}

	if v := strings.TrimSpace(r.Get(ColValidUntil)); v != "" {
		t, ok := parseInstant(v)
		switch {
		case !ok:
			add(ColValidUntil, "invalid", "valid_until %q is not a date (2026-12-31) or an RFC 3339 instant", truncate(v, 40))
		case !t.After(now):
			add(ColValidUntil, "in_the_past", "valid_until must be in the future: the quote would be expired already")
		default:
			rec.ValidUntil = &t
		}
	}

	if v := strings.TrimSpace(r.Get(ColLineItems)); v != "" {
		rec.LineItems = lineItems(v, rec.Amount, func(code, format string, args ...any) { add(ColLineItems, code, format, args...) })
	}
	return rec, issues
}

// parseInstant reads an RFC 3339 instant or a date, which means the end
// of that day in UTC (as a quote's --valid-until date does).
func parseInstant(v string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil && t.Year() >= 1 && t.Year() <= 9999 {
		return t, true
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		return d.Add(24*time.Hour - time.Microsecond), true
	}
	return time.Time{}, false
}

// lineItems checks the line items as a quote create does: each with a
// description, quantity × unit price exact, their sum exactly amount
// (checked only when amount itself is valid).
func lineItems(v, amount string, add func(code, format string, args ...any)) []byte {
	var lines []lineItem
	dec := json.NewDecoder(strings.NewReader(v))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&lines); err != nil || dec.More() {
		add("invalid", "line_items must be a JSON array of {description, quantity, unitPrice}")
		return nil
	}
	if len(lines) > maxLineItems {
		add("too_many", "at most %d line items", maxLineItems)
		return nil
	}
	sum := new(big.Int)
	bad := false
	for i, l := range lines {
		at := "line " + strconv.Itoa(i+1)
		l.Description = strings.TrimSpace(l.Description)
		if l.Quantity == "" {
			l.Quantity = "1"
		}
		switch {
		case l.Description == "" || len([]rune(l.Description)) > 500 || strings.ContainsFunc(l.Description, unicode.IsControl):
			add("invalid", "%s: a description of 1 to 500 characters on one line is required", at)
		case !quantitySyntax.MatchString(l.Quantity):
			add("invalid", "%s: quantity must be an exact decimal with at most 3 decimals", at)
		case !priceSyntax.MatchString(l.UnitPrice):
			add("invalid", "%s: unitPrice must be an exact decimal with at most 2 decimals", at)
		default:
			q, _ := scaled(l.Quantity, 3)
			if q.Sign() == 0 {
				add("out_of_range", "%s: quantity must be greater than 0", at)
				bad = true
				continue
			}
			p, _ := scaled(l.UnitPrice, 2)
			sum.Add(sum, q.Mul(q, p))
			lines[i] = l
			continue
		}
		bad = true
	}
	if bad || amount == "" {
		return nil
	}
	if want, ok := scaled(amount, 5); ok && len(lines) > 0 && sum.Cmp(want) != 0 {
		add("sum_mismatch", "the line items sum to %s, not to the amount %s", formatScaled(sum, 5), amount)
		return nil
	}
	out, _ := json.Marshal(lines)
	return out
}

// scaled reads a plain decimal as an integer count of 10^-scale units.
func scaled(s string, scale int) (*big.Int, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > scale || strings.Trim(whole+frac, "0123456789") != "" {
		return nil, false
	}
	return new(big.Int).SetString(whole+frac+strings.Repeat("0", scale-len(frac)), 10)
}

func formatScaled(v *big.Int, scale int) string {
	s := v.String()
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	whole, frac := s[:len(s)-scale], strings.TrimRight(s[len(s)-scale:], "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return whole + "." + frac
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
