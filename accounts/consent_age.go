package accounts

import "time"

// ConsentAges is the age of digital consent by country (ISO 3166-1
// alpha-2): below it, a learner may not open an account alone and a teacher
// or parent makes one with recorded consent instead.
//
// Sources:
//   - EU and EEA: GDPR Art. 8(1) sets 16 and lets each member state choose
//     13 to 16; the national choices are those collected by the European
//     Commission's Better Internet for Kids "Age of digital consent" map
//     (https://www.betterinternetforkids.eu/) and the national data protection
//     acts it cites (e.g. DE BDSG keeps 16, FR Loi 78-17 art. 45: 15, ES LOPDGDD
//     art. 7: 14, IT D.Lgs. 101/2018 art. 2-quinquies: 14, BE 30 July 2018 law
//     art. 7: 13). Norway, Iceland and Liechtenstein apply the GDPR through the
//     EEA Agreement.
//   - United States: 13, the Children's Online Privacy Protection Act
//     (15 U.S.C. 6501(1), 16 CFR 312).
//   - United Kingdom: 13, Data Protection Act 2018 s. 9 (UK GDPR Art. 8).
//
// Every other country gets the configured default (DIGITAL_CONSENT_AGE_DEFAULT).
var ConsentAges = map[string]int{
	// EU member states
	"AT": 14, "BE": 13, "BG": 14, "HR": 16, "CY": 14, "CZ": 15, "DK": 13, "EE": 13,
	"FI": 13, "FR": 15, "DE": 16, "GR": 15, "HU": 16, "IE": 16, "IT": 14, "LV": 13,
	"LT": 14, "LU": 16, "MT": 13, "NL": 16, "PL": 16, "PT": 13, "RO": 16, "SK": 16,
	"SI": 15, "ES": 14, "SE": 13,
	// EEA members outside the EU
	"IS": 13, "LI": 16, "NO": 13,
	// United States and United Kingdom
	"US": 13, "GB": 13,
}

// ConsentPolicy decides whether a self-registering learner may consent alone.
type ConsentPolicy struct {
	// Default is the age of digital consent in countries ConsentAges lacks.
	Default int
}

// Age returns the age of digital consent in country.
func (p ConsentPolicy) Age(country string) int {
	if a, ok := ConsentAges[country]; ok {
		return a
	}
	return p.Default
}

// MayConsent reports whether someone born in birthYear is old enough in
// country on the date now. Only the year is known, so the rule is the
// conservative one: the learner is taken to be as young as the year allows
// (born on 31 December), that is now's year - birthYear - 1. Someone born in
// 2010 counts as 15 throughout 2026, and may register alone where the age is
// 15 from 1 January 2026, but not where it is 16 until 1 January 2027.
func (p ConsentPolicy) MayConsent(country string, birthYear int, now time.Time) bool {
	return minimumAge(birthYear, now) >= p.Age(country)
}

// minimumAge is the youngest someone born in birthYear can be on now.
func minimumAge(birthYear int, now time.Time) int {
	return now.UTC().Year() - birthYear - 1
}
