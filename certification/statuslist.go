package certification

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/jmoiron/sqlx"
)

// StatusListSize is the number of entries of every status list: the W3C
// minimum of 131,072 (16 KiB), so that one revoked bit hides in a large herd.
const StatusListSize = 131072

// pickAttempts is how many random indexes are tried before a list is taken
// as full: with 32 tries a list is only given up once it is nearly full.
const pickAttempts = 32

// errListFull means no free index was found in the current list.
var errListFull = errors.New("status list is full")

// currentList returns the newest status list, creating the first one.
func currentList(ctx context.Context, tx sqlx.ExtContext) (int, error) {
	var id int
	err := sqlx.GetContext(ctx, tx, &id, `SELECT COALESCE(max(id), 0) FROM status_lists`)
	if err != nil || id > 0 {
		return id, err
	}
	return newList(ctx, tx, 1)
}

// newList creates list id unless another issuer created it first.
func newList(ctx context.Context, tx sqlx.ExtContext, id int) (int, error) {
	const q = `INSERT INTO status_lists (id, size) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING`
	if _, err := tx.ExecContext(ctx, q, id, StatusListSize); err != nil {
		return 0, fmt.Errorf("create status list: %w", err)
	}
	return id, nil
}

// pickIndex chooses a random unused index of list. Indexes are never reused:
// the UNIQUE (status_list_id, status_index) constraint backs the check, and
// the insert retries on a collision with a concurrent issuer.
func pickIndex(ctx context.Context, tx sqlx.ExtContext, list int, random func(n int) int) (int, error) {
	const q = `SELECT EXISTS (SELECT 1 FROM certificates WHERE status_list_id = $1 AND status_index = $2)`
	for range pickAttempts {
		idx := random(StatusListSize)
		var used bool
		if err := sqlx.GetContext(ctx, tx, &used, q, list, idx); err != nil {
			return 0, err
		}
		if !used {
			return idx, nil
		}
	}
	return 0, errListFull
}

// allocate returns a list and a free index in it, opening the next list when
// the current one is full.
func allocate(ctx context.Context, tx sqlx.ExtContext, random func(n int) int) (list, idx int, err error) {
	if list, err = currentList(ctx, tx); err != nil {
		return 0, 0, err
	}
	idx, err = pickIndex(ctx, tx, list, random)
	if errors.Is(err, errListFull) {
		if list, err = newList(ctx, tx, list+1); err != nil {
			return 0, 0, err
		}
		idx, err = pickIndex(ctx, tx, list, random)
	}
	return list, idx, err
}

func randomIndex(n int) int { return rand.IntN(n) }

// EncodeBitstring sets the given indexes in a bitstring of size bits (index 0
// is the most significant bit of the first byte), GZIP-compresses it and
// returns it as multibase base64url ('u' prefix), as the W3C Bitstring Status
// List requires.
func EncodeBitstring(size int, set []int) (string, error) {
	bits := make([]byte, (size+7)/8)
	for _, i := range set {
		if i >= 0 && i < size {
			bits[i/8] |= 0x80 >> (i % 8)
		}
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(bits); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// StatusListCredential is the signed W3C BitstringStatusListCredential. It
// expires (validUntil, mirrored by exp) StatusListValidity after it is
// signed: a verifier holding an old copy must fetch the list again, and so
// learns of revocations made since.
type StatusListCredential struct {
	Context           []string          `json:"@context"`
	ID                string            `json:"id"`
	Type              []string          `json:"type"`
	Issuer            Profile           `json:"issuer"`
	ValidFrom         string            `json:"validFrom"`
	ValidUntil        string            `json:"validUntil"`
	CredentialSubject StatusListSubject `json:"credentialSubject"`
	jwt.RegisteredClaims
}

// StatusListType is the type that tells a status list credential from a certificate.
const StatusListType = "BitstringStatusListCredential"

// StatusListSubject is the list itself.
type StatusListSubject struct {
	ID            string `json:"id"`
	Type          string `json:"type"`
	StatusPurpose string `json:"statusPurpose"`
	EncodedList   string `json:"encodedList"`
}

// statusCredential builds the credential of list from its revoked indexes.
func (u urls) statusCredential(list int, revoked []int, now time.Time) (StatusListCredential, error) {
	enc, err := EncodeBitstring(StatusListSize, revoked)
	if err != nil {
		return StatusListCredential{}, err
	}
	now = now.UTC().Truncate(time.Second)
	until := now.Add(StatusListValidity)
	id := u.statusList(list)
	return StatusListCredential{
		Context:    []string{obContexts[0]},
		ID:         id,
		Type:       []string{"VerifiableCredential", StatusListType},
		Issuer:     u.profile(),
		ValidFrom:  now.Format(time.RFC3339),
		ValidUntil: until.Format(time.RFC3339),
		CredentialSubject: StatusListSubject{ID: id + "#list", Type: "BitstringStatusList",
			StatusPurpose: "revocation", EncodedList: enc},
		RegisteredClaims: jwt.RegisteredClaims{Issuer: u.issuer(), ID: id, NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(until)},
	}, nil
}
