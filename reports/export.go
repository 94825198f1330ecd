package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/jobs"
)

// Export is an asynchronous CSV export of a participation report.
type Export struct {
	ID          string     `db:"id" json:"id"`
	RequestedBy string     `db:"requested_by" json:"-"`
	Params      []byte     `db:"params" json:"-"`
	Status      string     `db:"status" json:"status"`
	Rows        *int       `db:"rows" json:"rows"`
	Error       *string    `db:"error" json:"error,omitempty"`
	CreatedAt   time.Time  `db:"created_at" json:"created_at"`
	FinishedAt  *time.Time `db:"finished_at" json:"finished_at"`
	DownloadURL *string    `db:"-" json:"download_url"`
}

// ExportRequest is the body of POST /v1/reports/exports: the report
// parameters, with the same names and formats as the query string.
type ExportRequest struct {
	GroupBy     string `json:"group_by"`
	Course      string `json:"course"`
	Cohort      string `json:"cohort"`
	Country     string `json:"country"`
	Region      string `json:"region"`
	From        string `json:"from"`
	To          string `json:"to"`
	MinCellSize *int   `json:"min_cell_size"`
}

// Params returns the request as report parameters.
func (r ExportRequest) Params() Params {
	p := Params{GroupBy: r.GroupBy, Course: r.Course, Cohort: r.Cohort, Country: r.Country, Region: r.Region, From: r.From, To: r.To}
	if r.MinCellSize != nil {
		p.MinCellSize = itoa(*r.MinCellSize)
	}
	return p
}

const exportCols = `id, requested_by, params, status, rows, error, created_at, finished_at`

// CreateExport records an export and queues the job that builds it, in one transaction.
func (s *Store) CreateExport(ctx context.Context, userID string, q Query) (Export, error) {
	params, err := json.Marshal(q)
	if err != nil {
		return Export{}, err
	}
	var e Export
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		const ins = `INSERT INTO report_exports (requested_by, params) VALUES ($1, $2) RETURNING ` + exportCols
		if err := tx.GetContext(ctx, &e, ins, userID, string(params)); err != nil {
			return fmt.Errorf("create export: %w", err)
		}
		_, err := jobs.Enqueue(ctx, tx, jobs.TypeBuildExport, jobs.QueueLow, jobs.ExportPayload{ExportID: e.ID})
		return err
	})
	return e, err
}

// ExportFor returns an export its requester (or an admin) may see; any other
// is not found.
func (s *Store) ExportFor(ctx context.Context, id string, p cc.Principal) (Export, error) {
	var e Export
	const q = `SELECT ` + exportCols + ` FROM report_exports WHERE id = $1 AND (requested_by = $2 OR $3)`
	err := s.db.GetContext(ctx, &e, q, id, p.UserID, p.Has(cc.RoleAdmin))
	if postgres.IsNoRows(err) {
		return e, cc.Errorf(cc.ENOTFOUND, "No such export.")
	}
	return e, err
}

// ExportFile returns the finished file of an export.
func (s *Store) ExportFile(ctx context.Context, id string) ([]byte, error) {
	var file []byte
	err := s.db.GetContext(ctx, &file, `SELECT file FROM report_exports WHERE id = $1 AND status = 'done'`, id)
	return file, err
}

// BuildExport runs an export's report and stores its CSV. A report that can
// no longer be built (a course was deleted since) marks the export failed.
func (s *Store) BuildExport(ctx context.Context, id string) error {
	var e Export
	const claim = `UPDATE report_exports SET status = 'running' WHERE id = $1 AND status IN ('queued', 'running')
		RETURNING ` + exportCols
	if err := s.db.GetContext(ctx, &e, claim, id); postgres.IsNoRows(err) {
		return nil // already done or failed: a redelivered task
	} else if err != nil {
		return fmt.Errorf("claim export: %w", err)
	}
	var q Query
	if err := json.Unmarshal(e.Params, &q); err != nil {
		return s.failExport(ctx, id, "The stored parameters are unreadable.")
	}
	rep, err := s.rebuildQuery(ctx, q)
	var appErr *cc.Error
	if errors.As(err, &appErr) {
		return s.failExport(ctx, id, cc.ErrorMessage(err))
	} else if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, rep); err != nil {
		return err
	}
	const done = `UPDATE report_exports SET status = 'done', file = $2, rows = $3, finished_at = now() WHERE id = $1`
	if _, err := s.db.ExecContext(ctx, done, id, buf.Bytes(), csvRows(rep)); err != nil {
		return fmt.Errorf("store export: %w", err)
	}
	return nil
}

// rebuildQuery validates stored parameters again (the data may have changed)
// and runs the report.
func (s *Store) rebuildQuery(ctx context.Context, stored Query) (*Report, error) {
	p := Params{GroupBy: joinDims(stored.GroupBy), Course: stored.Course, Cohort: stored.Cohort,
		Country: stored.Country, Region: stored.Region, From: stored.From, To: stored.To}
	q, err := p.Parse(stored.MinCellSize)
	if err != nil {
		return nil, err
	}
	if err := s.Resolve(ctx, &q); err != nil {
		return nil, err
	}
	return s.Participation(ctx, q)
}

func (s *Store) failExport(ctx context.Context, id, msg string) error {
	const q = `UPDATE report_exports SET status = 'failed', error = $2, finished_at = now() WHERE id = $1`
	if _, err := s.db.ExecContext(ctx, q, id, msg); err != nil {
		return fmt.Errorf("fail export: %w", err)
	}
	return nil
}
