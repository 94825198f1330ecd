package learners

import (
	"crypto/rand"
	"math/big"
	"strings"
	"time"

	cc "github.com/cybercampus/cybercampus"
)

// A join code is typed by learners from a board or a sheet of paper: eight
// characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 40
// bits, so that guessing within the rate limit finds nothing.
const (
	joinCodeAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
	joinCodeLength   = 8
	// JoinCodeTTL is how long a join code works.
	JoinCodeTTL = 14 * 24 * time.Hour
)

// JoinCode is a cohort's current join code.
type JoinCode struct {
	Code      string    `db:"code" json:"code"`
	ExpiresAt time.Time `db:"expires_at" json:"expires_at"`
}

// JoinRequest is the body of POST /v1/cohorts/join.
type JoinRequest struct {
	Code string `json:"code"`
}

// Validate normalises the code as learners type it (any case, with spaces or
// dashes); one that cannot be a code is simply not found, so it is not a 422.
func (r *JoinRequest) Validate() error {
	r.Code = normaliseJoinCode(r.Code)
	var v cc.Validation
	v.Check(r.Code != "", "code", "is required")
	return v.Err()
}

func normaliseJoinCode(s string) string {
	s = strings.ToUpper(s)
	return strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, s)
}

func wellFormedJoinCode(s string) bool {
	if len(s) != joinCodeLength {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune(joinCodeAlphabet, r) {
			return false
		}
	}
	return true
}

func newJoinCode() (string, error) {
	b := make([]byte, joinCodeLength)
	n := big.NewInt(int64(len(joinCodeAlphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, n)
		if err != nil {
			return "", err
		}
		b[i] = joinCodeAlphabet[k.Int64()]
	}
	return string(b), nil
}

func noSuchCode() error {
	return cc.Errorf(cc.ENOTFOUND, "No cohort has this code, or it has expired; check it with your trainer.")
}
