package auth

import (
	"strings"
	"testing"
)

func TestPasswordProblem(t *testing.T) {
	const email, name = "amina.diallo@example.org", "Amina Diallo"
	for _, tc := range []struct {
		password, reason string // reason "" means accepted
	}{
		{"correct horse battery", ""},
		{"Tr0ub4dor&3 is old", ""},
		{"短い", "at least 10"},
		{"nine char", "at least 10"},
		{strings.Repeat("x", 257), "at most 256"},
		{"          ", "only spaces"},
		{"aaaaaaaaaa", "repeat"},
		{"abababababab", "repeat"},
		{"AaAaAaAaAa", "repeat"},
		{"1234567890", "sequence"},
		{"0987654321", "sequence"},
		{"abcdefghijk", "sequence"},
		{"password12", "commonly used"},
		{"qwertyuiop", "commonly used"},
		{"PASSWORD1234", "commonly used"},
		{"dragon2024!", "commonly used"},
		{"baseball!!!!", "commonly used"},
		{"amina.diallo@example.org", "email address or your name"},
		{"my amina.diallo 2024", "email address or your name"},
		{"AminaDiallo rules", "email address or your name"},
		{"amina diallo", "email address or your name"},
	} {
		got := PasswordProblem(tc.password, email, name)
		if tc.reason == "" && got != "" || !strings.Contains(got, tc.reason) {
			t.Errorf("%q: got %q, want a reason containing %q", tc.password, got, tc.reason)
		}
	}
}

func TestCommonPasswordListIsShipped(t *testing.T) {
	if len(commonPasswords) < 9000 {
		t.Fatalf("the common password list has %d entries", len(commonPasswords))
	}
	for _, p := range []string{"123456", "password", "iloveyou", "1qaz2wsx"} {
		if _, ok := commonPasswords[p]; !ok {
			t.Errorf("%q is not in the list", p)
		}
	}
}
