package accounts_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/accounts"
	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/config"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

func register(tb testing.TB, env *apptest.Env, country string, birthYear int, want int) apptest.Response {
	tb.Helper()
	return env.Expect(tb, apptest.Request{Method: http.MethodPost, Path: "/v1/auth/register", Body: map[string]any{
		"email": fmt.Sprintf("young-%s@example.org", pgtest.RandomSuffix()), "password": "a long enough passphrase",
		"name": "Young Learner", "gender": "female", "birth_year": birthYear, "country": country, "audience": "youth"}}, want)
}

func TestSelfRegistrationNeedsTheAgeOfDigitalConsent(t *testing.T) {
	env := newEnv(t, apptest.Options{Config: func(c *config.Config) {
		c.DigitalConsentAgeDefault = 14
	}})
	year := time.Now().UTC().Year()
	// Only the year is known: a learner counts as the youngest the year
	// allows, so "age" below is year - birth_year - 1.
	for _, c := range []struct {
		country string
		age     int
	}{
		{"DE", 16}, {"FR", 15}, {"ES", 14}, {"BE", 13}, {"US", 13}, {"GB", 13}, {"NO", 13}, {"LI", 16},
		{"KE", 14}, // not in the table: the configured default
	} {
		t.Run(c.country, func(t *testing.T) {
			m := register(t, env, c.country, year-c.age, http.StatusUnprocessableEntity).Map(t)
			errs := m["errors"].([]any)
			f := errs[0].(map[string]any)
			if len(errs) != 1 || f["field"] != "birth_year" || !strings.Contains(f["message"].(string), "teacher or a parent") ||
				!strings.Contains(f["message"].(string), fmt.Sprint(c.age)) {
				t.Fatalf("just below: %v", m)
			}
			register(t, env, c.country, year-c.age-1, http.StatusCreated)
		})
	}
	t.Run("the table covers every EU and EEA member, the US and the UK", func(t *testing.T) {
		for _, code := range strings.Fields("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE IS LI NO US GB") {
			if a := accounts.ConsentAges[code]; a < 13 || a > 16 {
				t.Errorf("%s: age %d", code, a)
			}
		}
	})
}
