package auth

import (
	_ "embed"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password length bounds. NIST SP 800-63B (5.1.1.2) asks for at least 8
// characters; the programme asks for 10. The upper bound only keeps hashing
// cheap to refuse.
const (
	MinPasswordRunes = 10
	MaxPasswordRunes = 256
)

// commonPasswords is the 10,000 most common passwords of SecLists
// (github.com/danielmiessler/SecLists, Passwords/Common-Credentials/
// 10k-most-common.txt at commit 4f84b3c29b5f2192cc82ccdeaf655f0c5f0ab547,
// MIT licence), one a line, with the line endings made LF. NIST SP 800-63B
// 5.1.1.2 asks verifiers to refuse passwords found in such lists.
//
//go:embed common_passwords.txt
var commonPasswordList string

var commonPasswords = func() map[string]struct{} {
	m := make(map[string]struct{}, 10000)
	for _, p := range strings.Split(commonPasswordList, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			m[strings.ToLower(p)] = struct{}{}
		}
	}
	return m
}()

// PasswordProblem says why password may not be chosen by the account with
// this email and name, or returns "" when it may. The checks are those of
// NIST SP 800-63B 5.1.1.2: length, a list of common passwords (also with
// digits or symbols appended), repetitive or sequential characters, and
// context-specific words (the account's email and name). The reason is
// written for the person choosing the password.
func PasswordProblem(password, email, name string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordRunes:
		return "must be at least 10 characters"
	case n > MaxPasswordRunes:
		return "must be at most 256 characters"
	case strings.TrimSpace(password) == "":
		return "must not be only spaces"
	case repetitive(password):
		return "must not repeat one or two characters (such as aaaaaaaaaa)"
	case sequential(password):
		return "must not be a sequence of characters (such as 1234567890 or abcdefghij)"
	case isCommon(password):
		return "is one of the most commonly used passwords; choose another"
	case containsContext(password, email, name):
		return "must not contain your email address or your name"
	}
	return ""
}

// repetitive reports passwords of one or two distinct characters, ignoring case.
func repetitive(pw string) bool {
	seen := map[rune]bool{}
	for _, r := range strings.ToLower(pw) {
		seen[r] = true
		if len(seen) > 2 {
			return false
		}
	}
	return true
}

// sequential reports passwords whose characters each step by the same +1 or
// -1 from the last (1234567890 counts 9 then 0 as a step).
func sequential(pw string) bool {
	rs := []rune(strings.ToLower(pw))
	step := func(a, b rune) rune {
		if a == '9' && b == '0' {
			return 1
		}
		if a == '0' && b == '9' {
			return -1
		}
		return b - a
	}
	first := step(rs[0], rs[1])
	if first != 1 && first != -1 {
		return false
	}
	for i := 2; i < len(rs); i++ {
		if step(rs[i-1], rs[i]) != first {
			return false
		}
	}
	return true
}

// isCommon reports a listed password, also once the digits, spaces and
// symbols a person adds to meet a rule are taken off its end (password12,
// dragon2024!).
func isCommon(pw string) bool {
	lower := strings.ToLower(pw)
	if _, ok := commonPasswords[lower]; ok {
		return true
	}
	base := strings.TrimRightFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	if utf8.RuneCountInString(base) < 4 || base == lower {
		return false
	}
	_, ok := commonPasswords[base]
	return ok
}

// containsContext reports a password that contains the email address, its
// local part or the whole name (ignoring case and spaces), where those are
// at least 4 characters long.
func containsContext(pw, email, name string) bool {
	squash := func(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), "")) }
	p := squash(pw)
	local, _, _ := strings.Cut(email, "@")
	for _, w := range []string{squash(email), squash(local), squash(name)} {
		if utf8.RuneCountInString(w) >= 4 && strings.Contains(p, w) {
			return true
		}
	}
	return false
}
