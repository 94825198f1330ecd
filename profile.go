package cybercampus

import (
	"slices"
	"unicode"
)

// Profile vocabularies fixed by the API contract.
var (
	Genders   = []string{"female", "male", "other", "undisclosed"}
	Audiences = []string{"youth", "professional", "msme"}
	Languages = []string{"ar", "en", "es", "fr", "ru", "zh"}
	Levels    = []string{"beginner", "intermediate", "advanced"}
	Regions   = []string{"africa", "americas", "arab_states", "asia_pacific", "cis", "europe"}
	AgeBands  = []string{"under_15", "15_24", "25_34", "35_44", "45_54", "55_64", "65_plus"}
)

// OneOf reports whether v is one of the allowed values.
func OneOf(v string, allowed []string) bool { return slices.Contains(allowed, v) }

// AgeBand returns the reporting age band of someone born in birthYear, in year.
func AgeBand(birthYear, year int) string {
	age := year - birthYear
	switch {
	case age < 15:
		return "under_15"
	case age < 25:
		return "15_24"
	case age < 35:
		return "25_34"
	case age < 45:
		return "35_44"
	case age < 55:
		return "45_54"
	case age < 65:
		return "55_64"
	}
	return "65_plus"
}

// IsUUID reports whether s is a UUID in its canonical textual form.
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch i {
		case 8, 13, 18, 23:
			if r != '-' {
				return false
			}
		default:
			if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
				return false
			}
		}
	}
	return true
}

// IsAlpha2 reports whether s has the shape of an ISO 3166-1 alpha-2 code.
func IsAlpha2(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// Printable reports whether s holds no control characters.
func Printable(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
