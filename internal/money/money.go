// Package money is an exact amount with its currency. Amounts are decimal
// strings in JSON and numeric in PostgreSQL; no float ever carries one.
package money

import (
	"fmt"
	"math/big"
	"regexp"
	"strings"
)

// Money is an exact amount in a currency (ISO 4217 code).
type Money struct {
	Amount   string `json:"amount" jsonschema:"pattern=^[0-9]{1\\,12}(\\.[0-9]{1\\,2})?$,description=exact decimal amount (\"1500.00\")"`
	Currency string `json:"currency" jsonschema:"pattern=^[A-Z]{3}$,description=ISO 4217 code"`
}

// String is how people read it: "5000.00 USD".
func (m Money) String() string { return m.Amount + " " + m.Currency }

// E4Scale is the scale of Money.E4: ten-thousandths of the unit cover the
// minor units of every ISO 4217 currency (at most 4 decimals).
const E4Scale = 10000

// maxE4 keeps E4 values exactly representable as a JSON number (the PDP
// reads attributes as IEEE doubles: integers up to 2^53 are exact).
const maxE4 = 1 << 53

var decimal = regexp.MustCompile(`^[0-9]{1,15}(\.[0-9]{1,4})?$`)

// E4 is the amount in ten-thousandths of the unit, as an exact integer: the
// form in which the authorization policies compare amounts (CEL has no
// decimal type). An amount with more than 4 decimals or too large to be
// exact is an error, never rounded.
func (m Money) E4() (int64, error) {
	if !decimal.MatchString(m.Amount) {
		return 0, fmt.Errorf("amount %q is not a decimal with at most 4 decimals", m.Amount)
	}
	whole, frac, _ := strings.Cut(m.Amount, ".")
	frac += strings.Repeat("0", 4-len(frac))
	v, ok := new(big.Int).SetString(whole+frac, 10)
	if !ok || v.Cmp(big.NewInt(maxE4)) > 0 {
		return 0, fmt.Errorf("amount %q is too large", m.Amount)
	}
	return v.Int64(), nil
}
