package money

import "testing"

func TestE4IsExact(t *testing.T) {
	for amount, want := range map[string]int64{
		"0": 0, "5000": 50000000, "5000.00": 50000000, "5000.01": 50000100, "0.0001": 1,
		"6000.5": 60005000, "900719925474.0992": 1 << 53,
	} {
		got, err := Money{Amount: amount, Currency: "USD"}.E4()
		if err != nil || got != want {
			t.Errorf("E4(%s) = %d, %v; want %d", amount, got, err, want)
		}
	}
	for _, bad := range []string{"", "-1", "1.00001", "1e3", "1,000", " 1", "900719925474.0993", "NaN"} {
		if got, err := (Money{Amount: bad, Currency: "USD"}).E4(); err == nil {
			t.Errorf("E4(%q) = %d, want an error", bad, got)
		}
	}
}
