package learners_test

import (
	"net/http"
	"syscall"
	"testing"

	"github.com/cybercampus/cybercampus/internal/apptest"
	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

// BenchmarkAuthenticatedRead measures the authenticated read path end to end
// inside the process: the access token check (and whatever session check it
// makes), the handler and its query. The token comes from a real sign-in, so
// it carries whatever a client's token carries.
func BenchmarkAuthenticatedRead(b *testing.B) {
	env := newLearningEnv(b)
	email := "bench-" + pgtest.RandomSuffix() + "@example.org"
	env.Expect(b, apptest.Request{Method: "POST", Path: "/v1/auth/register", Body: map[string]any{
		"email": email, "password": "a long bench passphrase", "name": "Bench Learner", "gender": "female",
		"birth_year": 2000, "country": "KE", "audience": "youth"}}, http.StatusCreated)
	resp := env.Expect(b, apptest.Request{Method: "POST", Path: "/v1/auth/login",
		Body: map[string]string{"email": email, "password": "a long bench passphrase"}}, http.StatusOK)
	token := resp.Map(b)["access_token"].(string)
	c := newCourse(b, courseSpec{Modules: 2, Lessons: 5})
	env.Expect(b, apptest.Request{Method: "POST", Path: "/v1/courses/" + c.Slug + "/enrollments", Token: token}, http.StatusCreated)
	for _, path := range []string{"/v1/me", "/v1/me/enrollments"} {
		b.Run(path, func(b *testing.B) {
			b.ReportAllocs()
			start := processCPU()
			for b.Loop() {
				if r := env.Do(b, apptest.Request{Method: "GET", Path: path, Token: token}); r.StatusCode != http.StatusOK {
					b.Fatalf("status %d: %s", r.StatusCode, r.Body)
				}
			}
			// The machine is shared, so wall time varies with the neighbours'
			// load; the process's own CPU time per request varies far less.
			b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
		})
	}
}

// processCPU is the user and system CPU time the process has used, in ns.
func processCPU() int64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return ru.Utime.Nano() + ru.Stime.Nano()
}
