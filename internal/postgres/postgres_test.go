package postgres

import (
	"net/url"
	"testing"
	"time"
)

func TestSessionDSN(t *testing.T) {
	tests := []struct {
		in   string
		want map[string]string
	}{
		{"postgres://u@h:5432/db?sslmode=disable",
			map[string]string{"sslmode": "disable", "connect_timeout": "5", "timezone": "UTC", "binary_parameters": "yes"}},
		// What the URL says wins: an operator can turn binary parameters off.
		{"postgres://u@h/db?binary_parameters=no&timezone=Europe/Paris&connect_timeout=2",
			map[string]string{"connect_timeout": "2", "timezone": "Europe/Paris", "binary_parameters": "no"}},
	}
	for _, tt := range tests {
		got, err := sessionDSN(tt.in, 5*time.Second)
		if err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range tt.want {
			if g := u.Query().Get(k); g != v {
				t.Errorf("%s: %s = %q, want %q", tt.in, k, g, v)
			}
		}
	}
	if _, err := sessionDSN("postgres://u@h:badport/db", time.Second); err == nil {
		t.Error("a URL that does not parse was accepted")
	}
}
