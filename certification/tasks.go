package certification

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/jobs"
)

// RegisterTasks registers the certificate job handlers.
func (m *Handler) RegisterTasks(mux *asynq.ServeMux) {
	mux.HandleFunc(jobs.TypeIssueCertificate, m.ProcessIssue)
	mux.HandleFunc(jobs.TypeCertificateSweep, m.ProcessSweep)
	mux.HandleFunc(jobs.TypeStatusLists, m.ProcessStatusLists)
	mux.HandleFunc(jobs.TypeSignStatusList, m.ProcessSignStatusList)
}

// sweepBatch bounds one sweep run; the next run continues.
const sweepBatch = 500

// ProcessIssue handles jobs.TypeIssueCertificate. It is idempotent: running
// it again, concurrently or after a crash, leaves exactly one certificate.
func (m *Handler) ProcessIssue(ctx context.Context, t *asynq.Task) error {
	var p jobs.EnrollmentPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || !cc.IsUUID(p.EnrollmentID) {
		return fmt.Errorf("certificate issue payload %q: %w", t.Payload(), asynq.SkipRetry)
	}
	id, created, err := m.store.Issue(ctx, p.EnrollmentID)
	if errors.Is(err, ErrNotEligible) {
		m.logger.Warn("certificate not issued", "enrollment_id", p.EnrollmentID, "error", err.Error())
		return fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	} else if err != nil {
		return err
	}
	if created {
		m.logger.Info("certificate issued", "certificate_id", id, "enrollment_id", p.EnrollmentID)
	}
	return nil
}

// ProcessSweep handles jobs.TypeCertificateSweep: it issues the certificate of
// every completed enrollment that has none, whose job was lost.
func (m *Handler) ProcessSweep(ctx context.Context, _ *asynq.Task) error {
	ids, err := m.store.Uncertified(ctx, sweepBatch)
	if err != nil {
		return err
	}
	issued := 0
	var errs []error
	for _, id := range ids {
		_, created, err := m.store.Issue(ctx, id)
		if err != nil && !errors.Is(err, ErrNotEligible) {
			errs = append(errs, err)
			continue
		}
		if created {
			issued++
		}
	}
	if issued > 0 {
		m.logger.Warn("certificate sweep issued certificates whose job was lost", "issued", issued)
	}
	return errors.Join(errs...)
}

// ProcessStatusLists handles jobs.TypeStatusLists: it signs again every status
// list whose credential is missing or expires within statusResignWithin, so
// that the lists served are never close to expiry.
func (m *Handler) ProcessStatusLists(ctx context.Context, _ *asynq.Task) error {
	ids, err := m.store.ListsToResign(ctx, statusResignWithin)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		if _, err := m.store.StatusList(ctx, id, statusResignWithin); err != nil {
			errs = append(errs, fmt.Errorf("status list %d: %w", id, err))
			continue
		}
		m.status.forget(id)
	}
	return errors.Join(errs...)
}

// ProcessSignStatusList handles jobs.TypeSignStatusList, queued by a
// revocation: it signs the list again with the new bit unless a reader did
// already.
func (m *Handler) ProcessSignStatusList(ctx context.Context, t *asynq.Task) error {
	var p jobs.StatusListPayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	_, err := m.store.StatusList(ctx, p.ListID, statusServeWithin)
	if cc.ErrorCode(err) == cc.ENOTFOUND {
		return fmt.Errorf("status list %d: %w", p.ListID, asynq.SkipRetry)
	}
	m.status.forget(p.ListID)
	return err
}
