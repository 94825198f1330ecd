package certification

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/jobs"
)

// Status list credentials expire and are signed again before they do:
//   - StatusListValidity is how long a signed list is valid (W3C validUntil,
//     JWT exp): the longest a copy fetched before a revocation can hide it;
//   - the scheduled job (ProcessStatusLists, hourly) signs again every list
//     with less than statusResignWithin left, so it gets many runs to succeed
//     before the list would expire;
//   - the endpoint signs again on demand a list with less than
//     statusServeWithin left, in case the job has not run; it never serves an
//     expired one.
const (
	StatusListValidity = 7 * 24 * time.Hour
	statusResignWithin = 4 * 24 * time.Hour
	statusServeWithin  = 2 * 24 * time.Hour
)

// signedList is a signed status list credential.
type signedList struct {
	credential StatusListCredential
	jws        string
	validUntil time.Time
	at         time.Time // when this instance read or signed it
}

// storedList is a status list's row with its signed credential, if any.
type storedList struct {
	JWS        *string    `db:"jws"`
	Credential []byte     `db:"credential"`
	ValidUntil *time.Time `db:"valid_until"`
}

// current reports whether the stored credential may be served at now with
// more than within left before it expires. A revocation clears it.
func (r storedList) current(now time.Time, within time.Duration) bool {
	return r.JWS != nil && r.ValidUntil != nil && r.ValidUntil.After(now.Add(within))
}

func (r storedList) signed(now time.Time) (signedList, error) {
	sl := signedList{jws: *r.JWS, validUntil: *r.ValidUntil, at: now}
	return sl, json.Unmarshal(r.Credential, &sl.credential)
}

// StatusList returns the signed credential of list with more than within
// left before it expires: the stored one, or one signed now and stored. An
// unknown list is a 404.
//
// Signing holds the list's row lock from reading the revoked indexes to
// storing the signature; a revocation clears the stored credential in its own
// transaction (markStale), so whichever commits first, a stored credential
// never lacks a revocation that committed before it was stored.
func (s *Store) StatusList(ctx context.Context, list int, within time.Duration) (signedList, error) {
	const q = `SELECT jws, credential, valid_until FROM status_lists WHERE id = $1`
	var row storedList
	err := s.db.GetContext(ctx, &row, q, list)
	if postgres.IsNoRows(err) {
		return signedList{}, cc.Errorf(cc.ENOTFOUND, "No such status list.")
	} else if err != nil {
		return signedList{}, err
	}
	if now := s.now(); row.current(now, within) {
		return row.signed(now)
	}
	var out signedList
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		var row storedList
		if err := tx.GetContext(ctx, &row, q+` FOR UPDATE`, list); err != nil {
			return err
		}
		now := s.now()
		if row.current(now, within) { // another signer got here first
			out, err = row.signed(now)
			return err
		}
		out, err = s.signList(ctx, tx, list, now)
		return err
	})
	return out, err
}

// signList signs list's credential from its revoked indexes and stores it;
// the caller holds the row lock.
func (s *Store) signList(ctx context.Context, tx *sqlx.Tx, list int, now time.Time) (signedList, error) {
	var revoked []int
	const q = `SELECT status_index FROM certificates WHERE status_list_id = $1 AND revoked_at IS NOT NULL`
	if err := tx.SelectContext(ctx, &revoked, q, list); err != nil {
		return signedList{}, err
	}
	cred, err := s.urls.statusCredential(list, revoked, now)
	if err != nil {
		return signedList{}, err
	}
	key, err := s.keys.Current(ctx)
	if err != nil {
		return signedList{}, err
	}
	jws, err := signJWS(key.key, s.keys.KeyID(key.thumbprint), cred)
	if err != nil {
		return signedList{}, err
	}
	body, err := json.Marshal(cred)
	if err != nil {
		return signedList{}, err
	}
	until := cred.ExpiresAt.Time
	const upd = `UPDATE status_lists SET jws = $2, credential = $3, signed_at = $4, valid_until = $5 WHERE id = $1`
	if _, err := tx.ExecContext(ctx, upd, list, jws, string(body), cred.NotBefore.Time, until); err != nil {
		return signedList{}, fmt.Errorf("store status list %d: %w", list, err)
	}
	return signedList{credential: cred, jws: jws, validUntil: until, at: now}, nil
}

// markStale clears list's signed credential after a revocation in tx, and
// queues its signing through the outbox, so the new bit is published at once.
func markStale(ctx context.Context, tx sqlx.ExtContext, list int) error {
	const q = `UPDATE status_lists SET jws = NULL, credential = NULL, signed_at = NULL, valid_until = NULL WHERE id = $1`
	if _, err := tx.ExecContext(ctx, q, list); err != nil {
		return err
	}
	_, err := jobs.Enqueue(ctx, tx, jobs.TypeSignStatusList, jobs.QueueCritical, jobs.StatusListPayload{ListID: list})
	return err
}

// ListsToResign returns the lists whose credential is missing or expires
// within the given time.
func (s *Store) ListsToResign(ctx context.Context, within time.Duration) ([]int, error) {
	const q = `SELECT id FROM status_lists WHERE jws IS NULL OR valid_until <= $1 ORDER BY id`
	var ids []int
	err := s.db.SelectContext(ctx, &ids, q, s.now().Add(within))
	return ids, err
}
