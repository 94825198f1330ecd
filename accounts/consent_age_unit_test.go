package accounts

import (
	"testing"
	"time"
)

func TestMayConsentCountsTheYoungestTheYearAllows(t *testing.T) {
	p := ConsentPolicy{Default: 13}
	newYear := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	newYearsEve := time.Date(2026, 12, 31, 23, 59, 0, 0, time.UTC)
	for _, c := range []struct {
		country string
		born    int
		on      time.Time
		want    bool
	}{
		{"DE", 2010, newYearsEve, false}, // may already be 16, but may also be 15 until tonight
		{"DE", 2010, newYear, true},      // 16 at the least from 1 January
		{"DE", 2009, newYearsEve, true},
		{"FR", 2011, newYear, true},
		{"FR", 2012, newYear, false},
		{"US", 2013, newYear, true},
		{"US", 2014, newYear, false},
		{"BR", 2013, newYear, true}, // not in the table: the default
		{"BR", 2014, newYear, false},
	} {
		if got := p.MayConsent(c.country, c.born, c.on); got != c.want {
			t.Errorf("%s born %d on %s: %v, want %v", c.country, c.born, c.on.Format(time.DateOnly), got, c.want)
		}
	}
	if (ConsentPolicy{Default: 16}).Age("BR") != 16 || (ConsentPolicy{Default: 16}).Age("GB") != 13 {
		t.Error("the default applies only where the table has no entry")
	}
}
