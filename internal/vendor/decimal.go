package vendor

import (
	"math/big"
	"strings"
)

// Line items are exact: a quantity has at most 3 decimals and a unit price
// at most 2, so every product, and every sum of them, is an integer number
// of 1e-5 units. Nothing is rounded; nothing passes through a float.
const lineScale = 5

// scaled reads a non-negative decimal string (already schema-checked) as an
// integer count of 10^-scale units; ok is false for a malformed one or one
// with more decimals than scale.
func scaled(s string, scale int) (*big.Int, bool) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > scale || strings.Trim(whole+frac, "0123456789") != "" {
		return nil, false
	}
	v, ok := new(big.Int).SetString(whole+frac+strings.Repeat("0", scale-len(frac)), 10)
	return v, ok
}

// formatScaled writes v (in 10^-scale units) with at least 2 decimals and
// no trailing zeros beyond them.
func formatScaled(v *big.Int, scale int) string {
	s := v.String()
	if len(s) <= scale {
		s = strings.Repeat("0", scale-len(s)+1) + s
	}
	whole, frac := s[:len(s)-scale], s[len(s)-scale:]
	frac = strings.TrimRight(frac, "0")
	for len(frac) < 2 {
		frac += "0"
	}
	return whole + "." + frac
}
