package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// course is the starter course the load runs on: its lessons in order, its
// quizzes in module order, and the right answers read from the database.
type course struct {
	slug    string
	lessons []string
	modules []module
	answers map[string]map[string][]string // quiz → question → correct options
}

type module struct {
	lessons []string
	quiz    string // "" when the module has none
}

// learner is one registered, logged-in, enrolled learner.
type learner struct {
	email        string
	token        string
	enrollmentID string

	mu        sync.Mutex
	lastBatch []event // the last batch acknowledged, replayed now and then
}

// event is one progress event as the mobile app makes it: the id is made on
// the device and never changes however often the batch is resent.
type event struct {
	ID         string `json:"id"`
	LessonID   string `json:"lesson_id"`
	Type       string `json:"type"`
	OccurredAt string `json:"occurred_at"`
}

func newEvent(lesson string) event {
	at := time.Now().UTC().Add(-time.Duration(rand.IntN(600_000)) * time.Millisecond)
	return event{ID: uuid.NewString(), LessonID: lesson, Type: "lesson_completed",
		OccurredAt: at.Format("2006-01-02T15:04:05.000Z")}
}

// counters are the load generator's own tallies for one phase.
type counters struct {
	batches          atomic.Int64 // distinct batches sent (replays excluded)
	batchesRetried   atomic.Int64 // batches that needed more than one send
	replays          atomic.Int64 // acknowledged batches sent again on purpose
	eventsAcked      atomic.Int64 // distinct events the server acknowledged
	eventsAbandoned  atomic.Int64 // events of batches given up at the end of the drain
	dupOnRetry       atomic.Int64 // duplicates reported for a resend: the lost answer's batch had been stored
	dupOnFirstSend   atomic.Int64 // duplicates reported for a batch never sent before: a defect
	replayAccepted   atomic.Int64 // events of a replayed batch counted as new: a defect
	rejected         atomic.Int64 // events rejected: a defect here, every event is valid
	unexpected4xx    atomic.Int64 // 4xx answers to valid requests (other than 408/429)
	quizLostAnswers  atomic.Int64 // attempts stored although their answer never arrived
	quizFailures     atomic.Int64 // attempts that did not pass or ran out of attempts
	completersDone   atomic.Int64
	completersFailed atomic.Int64
}

// ledger remembers every event id sent, the phase it was sent in, and whether
// the server ever acknowledged it (accepted or duplicate).
type ledger struct {
	mu     sync.Mutex
	events map[string]*evState
}

type evState struct {
	phase int
	acked bool
}

func newLedger() *ledger { return &ledger{events: map[string]*evState{}} }

func (l *ledger) sent(phase int, evs []event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range evs {
		if _, ok := l.events[e.ID]; !ok {
			l.events[e.ID] = &evState{phase: phase}
		}
	}
}

// ack marks events acknowledged and returns how many were not before.
func (l *ledger) ack(evs []event, rejected map[string]bool) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, e := range evs {
		if s := l.events[e.ID]; s != nil && !s.acked && !rejected[e.ID] {
			s.acked = true
			n++
		}
	}
	return n
}

// ids returns the acknowledged (or, with acked false, the unacknowledged) ids
// of a phase; phase -1 means all phases.
func (l *ledger) ids(phase int, acked bool) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for id, s := range l.events {
		if (phase < 0 || s.phase == phase) && s.acked == acked {
			out = append(out, id)
		}
	}
	return out
}

// loadgen drives the API the way learners' apps do.
type loadgen struct {
	c      *client
	course *course
	ledger *ledger
}

type progressResult struct {
	Accepted   int `json:"accepted"`
	Duplicates int `json:"duplicates"`
	Rejected   []struct {
		ID    string `json:"id"`
		Error string `json:"error"`
	} `json:"rejected"`
}

// sendBatch posts a batch and resends the very same batch until the server
// answers 200, as an offline-first app does. It gives up only when drain ends.
func (g *loadgen) sendBatch(drain context.Context, phase int, cn *counters, l *learner, evs []event, replay bool) bool {
	if !replay {
		g.ledger.sent(phase, evs)
		cn.batches.Add(1)
	}
	body := map[string]any{"events": evs}
	backoff := 200 * time.Millisecond
	for attempt := 0; ; attempt++ {
		st := g.c.current.Load()
		start := time.Now()
		r := g.c.do(drain, http.MethodPost, "/v1/progress", l.token, body)
		if r.outcome == outOK {
			var res progressResult
			if err := json.Unmarshal(r.body, &res); err != nil {
				log.Printf("progress: undecodable answer %q", truncate(r.body, 200))
				return false
			}
			st.batchOK(start, time.Now())
			g.account(cn, l, evs, res, attempt, replay)
			return true
		}
		if r.outcome == outClient && r.status != http.StatusTooManyRequests && r.status != http.StatusRequestTimeout {
			cn.unexpected4xx.Add(1)
			log.Printf("progress: unexpected %d: %s", r.status, truncate(r.body, 300))
			return false
		}
		if attempt == 0 && !replay {
			cn.batchesRetried.Add(1)
		}
		if !sleepCtx(drain, jitter(backoff)) {
			if !replay {
				cn.eventsAbandoned.Add(int64(len(evs)))
			}
			return false
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

func (g *loadgen) account(cn *counters, l *learner, evs []event, res progressResult, attempt int, replay bool) {
	rejected := map[string]bool{}
	for _, r := range res.Rejected {
		rejected[r.ID] = true
		log.Printf("progress: event %s rejected: %s", r.ID, r.Error)
	}
	cn.rejected.Add(int64(len(res.Rejected)))
	switch {
	case replay:
		cn.replays.Add(1)
		cn.replayAccepted.Add(int64(res.Accepted))
	case attempt == 0:
		cn.dupOnFirstSend.Add(int64(res.Duplicates))
	default:
		cn.dupOnRetry.Add(int64(res.Duplicates))
	}
	if !replay {
		cn.eventsAcked.Add(int64(g.ledger.ack(evs, rejected)))
		l.mu.Lock()
		l.lastBatch = evs
		l.mu.Unlock()
	}
}

// steady sends small batches of new events for random learners, and now and
// then replays an acknowledged batch, until load ends; the batch in hand is
// still resent until acknowledged or drain ends.
func (g *loadgen) steady(load, drain context.Context, phase int, cn *counters, ls []*learner) {
	for load.Err() == nil {
		l := ls[rand.IntN(len(ls))]
		l.mu.Lock()
		last := l.lastBatch
		l.mu.Unlock()
		if last != nil && rand.IntN(20) == 0 {
			g.sendBatch(drain, phase, cn, l, last, true)
		} else {
			evs := make([]event, 1+rand.IntN(10))
			for i := range evs {
				evs[i] = newEvent(g.course.lessons[rand.IntN(len(g.course.lessons))])
			}
			g.sendBatch(drain, phase, cn, l, evs, false)
		}
		sleepCtx(load, jitter(150*time.Millisecond))
	}
}

// reader reads learners' enrollments and certificates until load ends; its
// requests count in the phase's totals like any other.
func (g *loadgen) reader(load context.Context, ls []*learner) {
	paths := []string{"/v1/me/enrollments", "/v1/me/certificates", "/v1/me/courses/" + g.course.slug + "/progress"}
	for load.Err() == nil {
		l := ls[rand.IntN(len(ls))]
		g.c.do(load, http.MethodGet, paths[rand.IntN(len(paths))], l.token, nil)
		sleepCtx(load, jitter(250*time.Millisecond))
	}
}

// complete walks one learner through the whole course, one step every gap:
// lessons two at a time, and each module's quiz answered right. quizzesFirst
// puts every quiz before the lessons, so that the enrollment completes on a
// progress batch instead of on a quiz attempt.
func (g *loadgen) complete(drain context.Context, phase int, cn *counters, l *learner, delay, gap time.Duration, quizzesFirst bool) {
	if !sleepCtx(drain, delay) {
		cn.completersFailed.Add(1)
		return
	}
	type step struct {
		lessons []string
		quiz    string
	}
	var lessonSteps, quizSteps, steps []step
	for _, m := range g.course.modules {
		for i := 0; i < len(m.lessons); i += 2 {
			s := step{lessons: m.lessons[i:min(i+2, len(m.lessons))]}
			lessonSteps = append(lessonSteps, s)
			if !quizzesFirst {
				steps = append(steps, s)
			}
		}
		if m.quiz != "" {
			quizSteps = append(quizSteps, step{quiz: m.quiz})
			if !quizzesFirst {
				steps = append(steps, step{quiz: m.quiz})
			}
		}
	}
	if quizzesFirst {
		steps = append(quizSteps, lessonSteps...)
	}
	for i, s := range steps {
		if i > 0 && !sleepCtx(drain, jitter(gap)) {
			cn.completersFailed.Add(1)
			return
		}
		ok := false
		if s.quiz != "" {
			ok = g.passQuiz(drain, cn, l, s.quiz)
		} else {
			evs := make([]event, len(s.lessons))
			for j, id := range s.lessons {
				evs[j] = newEvent(id)
			}
			ok = g.sendBatch(drain, phase, cn, l, evs, false)
		}
		if !ok {
			cn.completersFailed.Add(1)
			return
		}
	}
	cn.completersDone.Add(1)
}

// passQuiz submits the right answers until an attempt is on record. After a
// failed send it first asks whether the quiz is passed already: the attempt
// may have been stored although its answer was lost.
func (g *loadgen) passQuiz(drain context.Context, cn *counters, l *learner, quiz string) bool {
	body := map[string]any{"answers": g.course.answers[quiz]}
	backoff := 200 * time.Millisecond
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if !sleepCtx(drain, jitter(backoff)) {
				return false
			}
			backoff = min(2*backoff, 2*time.Second)
			passed, known := g.quizPassed(drain, l, quiz)
			if !known {
				continue
			}
			if passed {
				cn.quizLostAnswers.Add(1)
				return true
			}
		}
		r := g.c.do(drain, http.MethodPost, "/v1/quizzes/"+quiz+"/attempts", l.token, body)
		switch {
		case r.status == http.StatusCreated:
			var res struct {
				Passed bool `json:"passed"`
			}
			if json.Unmarshal(r.body, &res) != nil || !res.Passed {
				cn.quizFailures.Add(1)
				log.Printf("quiz %s not passed with the right answers: %s", quiz, truncate(r.body, 300))
				return false
			}
			return true
		case r.outcome == outClient && r.status != http.StatusTooManyRequests && r.status != http.StatusRequestTimeout:
			cn.unexpected4xx.Add(1)
			log.Printf("quiz attempt: unexpected %d: %s", r.status, truncate(r.body, 300))
			passed, _ := g.quizPassed(drain, l, quiz)
			if !passed {
				cn.quizFailures.Add(1)
			}
			return passed
		}
	}
}

func (g *loadgen) quizPassed(ctx context.Context, l *learner, quiz string) (passed, known bool) {
	var p struct {
		Quizzes []struct {
			ID     string `json:"id"`
			Passed bool   `json:"passed"`
		} `json:"quizzes"`
	}
	if err := g.c.json(ctx, http.MethodGet, "/v1/me/courses/"+g.course.slug+"/progress", l.token, nil, &p, http.StatusOK); err != nil {
		return false, false
	}
	for _, q := range p.Quizzes {
		if q.ID == quiz {
			return q.Passed, true
		}
	}
	return false, true
}

// register creates, logs in and enrolls one learner.
func (g *loadgen) register(ctx context.Context, runID string, i int) (*learner, error) {
	countries := []string{"KE", "FJ", "BR", "IN", "EG", "KZ", "FR", "SN", "PE", "VN"}
	genders := []string{"female", "male", "other", "undisclosed"}
	l := &learner{email: fmt.Sprintf("chaos-%s-%03d@example.org", runID, i)}
	const password = "chaos-learner-password"
	reg := map[string]any{"email": l.email, "password": password, "name": fmt.Sprintf("Chaos Learner %d", i),
		"gender": genders[i%len(genders)], "birth_year": 1970 + i%40, "country": countries[i%len(countries)],
		"audience": "professional", "language": "en"}
	if err := g.c.json(ctx, http.MethodPost, "/v1/auth/register", "", reg, nil, http.StatusCreated); err != nil {
		return nil, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	login := map[string]any{"email": l.email, "password": password}
	if err := g.c.json(ctx, http.MethodPost, "/v1/auth/login", "", login, &tok, http.StatusOK); err != nil {
		return nil, err
	}
	l.token = tok.AccessToken
	var enr struct {
		ID string `json:"id"`
	}
	path := "/v1/courses/" + g.course.slug + "/enrollments"
	if err := g.c.json(ctx, http.MethodPost, path, l.token, map[string]any{}, &enr, http.StatusCreated, http.StatusOK); err != nil {
		return nil, err
	}
	l.enrollmentID = enr.ID
	return l, nil
}

func jitter(d time.Duration) time.Duration { return d/2 + rand.N(d/2+1) }

// sleepCtx sleeps d and reports false when ctx ended first.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
