package accounts

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	cc "github.com/cybercampus/cybercampus"
	"github.com/cybercampus/cybercampus/functioning"
	"github.com/cybercampus/cybercampus/internal/auth"
	"github.com/cybercampus/cybercampus/internal/postgres"
	"github.com/cybercampus/cybercampus/jobs"
)

// Store keeps users and refresh tokens.
type Store struct {
	db *sqlx.DB
}

// NewStore returns a store over db.
func NewStore(db *sqlx.DB) *Store { return &Store{db: db} }

// verificationTTL is how long an email verification link works.
const verificationTTL = 24 * time.Hour

const userColumns = `u.id, coalesce(u.email, '') AS email, u.name, u.roles, u.gender, u.birth_year, u.country, c.region,
	u.audience, u.organization, u.language, u.notify_email, u.notify_reminders, u.created_at,
	u.email_verified_at IS NOT NULL AS email_verified, u.session_version, u.username, u.age_band, u.managed`

// CreateUser inserts a user with the given roles and, in the same
// transaction, queues the email that verifies its address. A duplicate email
// (case-insensitive) is a conflict; an unknown country is a field error.
func (s *Store) CreateUser(ctx context.Context, r Registration, roles []string) (User, error) {
	const q = `INSERT INTO users (email, password_hash, name, roles, gender, birth_year, country, audience, organization, language)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`
	var id string
	hash := auth.HashPassword(r.Password)
	err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		if err := tx.GetContext(ctx, &id, q, r.Email, hash, r.Name, pq.StringArray(roles),
			r.Gender, r.BirthYear, r.Country, r.Audience, r.Organization, r.Language); err != nil {
			return err
		}
		_, err := jobs.Enqueue(ctx, tx, jobs.TypeAccountEmail, jobs.QueueCritical,
			jobs.AccountEmailPayload{Kind: jobs.AccountEmailVerification, UserID: id})
		return err
	})
	switch {
	case postgres.IsUniqueViolation(err, "users_email_key"):
		return User{}, cc.Errorf(cc.ECONFLICT, "An account with this email already exists.")
	case postgres.IsForeignKeyViolation(err):
		return User{}, unknownCountry()
	case err != nil:
		return User{}, err
	}
	return s.User(ctx, id)
}

// CountryExists reports whether code is a known ISO 3166-1 alpha-2 country.
func (s *Store) CountryExists(ctx context.Context, code string) (bool, error) {
	var ok bool
	err := s.db.GetContext(ctx, &ok, `SELECT EXISTS (SELECT 1 FROM countries WHERE code = $1)`, code)
	return ok, err
}

func unknownCountry() error {
	return cc.FieldErr(cc.EINVALID, "The request has invalid fields.", "country", "is not an ISO 3166-1 country code")
}

// User returns a user by id.
func (s *Store) User(ctx context.Context, id string) (User, error) {
	q := `SELECT ` + userColumns + ` FROM users u JOIN countries c ON c.code = u.country WHERE u.id = $1 AND u.erased_at IS NULL`
	var u User
	if err := s.db.GetContext(ctx, &u, q, id); postgres.IsNoRows(err) {
		return User{}, cc.Errorf(cc.ENOTFOUND, "No such user.")
	} else if err != nil {
		return User{}, err
	}
	return u, nil
}

// Credentials are what signing in checks: the account's id and password
// hash (both empty when no account matches) and whether sign-in is disabled.
type Credentials struct {
	ID       string `db:"id"`
	Hash     string `db:"password_hash"`
	Disabled bool   `db:"disabled"`
}

// Credentials returns the credentials for an email or, for a pupil's
// account, a username (usernames never contain @).
func (s *Store) Credentials(ctx context.Context, login string) (Credentials, error) {
	// Two statements, so each uses its own unique index.
	q := `SELECT id, password_hash, sign_in_disabled_at IS NOT NULL AS disabled FROM users WHERE lower(email) = lower($1) AND erased_at IS NULL`
	if !strings.Contains(login, "@") {
		q = `SELECT id, password_hash, sign_in_disabled_at IS NOT NULL AS disabled FROM users WHERE username = lower($1) AND erased_at IS NULL`
	}
	var c Credentials
	if err := s.db.GetContext(ctx, &c, q, login); postgres.IsNoRows(err) {
		return Credentials{}, nil
	} else if err != nil {
		return Credentials{}, err
	}
	return c, nil
}

// UpdateProfile applies a validated profile update, the functioning answers
// and consent included, in one transaction, and returns the caller's account.
func (s *Store) UpdateProfile(ctx context.Context, id string, p ProfileUpdate) (Me, error) {
	const q = `UPDATE users SET
		name = coalesce($2, name), gender = coalesce($3, gender), birth_year = coalesce($4, birth_year),
		country = coalesce($5, country), audience = coalesce($6, audience), organization = coalesce($7, organization),
		language = coalesce($8, language),
		notify_email = coalesce($9, notify_email), notify_reminders = coalesce($10, notify_reminders),
		updated_at = now()
		WHERE id = $1 AND erased_at IS NULL`
	var email, reminders *bool
	if p.Notifications != nil {
		email, reminders = p.Notifications.Email, p.Notifications.Reminders
	}
	err := postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, q, id, p.Name, p.Gender, p.BirthYear, p.Country, p.Audience,
			p.Organization, p.Language, email, reminders)
		if postgres.IsForeignKeyViolation(err) {
			return unknownCountry()
		} else if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return cc.Errorf(cc.ENOTFOUND, "No such user.")
		}
		return functioning.Apply(ctx, tx, id, p.functioning())
	})
	if err != nil {
		return Me{}, err
	}
	return s.Me(ctx, id)
}

// Me returns the user's own account with the functioning answers; it serves
// only the user's own requests.
func (s *Store) Me(ctx context.Context, id string) (Me, error) {
	u, err := s.User(ctx, id)
	if err != nil {
		return Me{}, err
	}
	f, err := functioning.Load(ctx, s.db, id)
	if err != nil {
		return Me{}, err
	}
	return Me{User: u, FunctioningConsent: f.Consent, Functioning: f.Answers}, nil
}

// SetRoles replaces a user's roles. Removing the admin role from the last
// admin is refused so the platform cannot lock itself out.
func (s *Store) SetRoles(ctx context.Context, id string, roles []string) (User, error) {
	err := postgres.Transact(ctx, s.db, &sql.TxOptions{Isolation: sql.LevelSerializable}, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET roles = $2, updated_at = now() WHERE id = $1 AND erased_at IS NULL`, id, pq.StringArray(roles))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return cc.Errorf(cc.ENOTFOUND, "No such user.")
		}
		var admins int
		if err := tx.GetContext(ctx, &admins, `SELECT count(*) FROM users WHERE 'admin' = ANY(roles) AND erased_at IS NULL`); err != nil {
			return err
		}
		if admins == 0 {
			return cc.Errorf(cc.ECONFLICT, "The last admin cannot lose the admin role.")
		}
		return nil
	})
	if err != nil {
		return User{}, err
	}
	return s.User(ctx, id)
}

// ErrRefreshInvalid means a refresh token is unknown, expired, revoked or reused.
var ErrRefreshInvalid = cc.Errorf(cc.EUNAUTHORIZED, "The refresh token is invalid or expired.")

// StartSession stores a new refresh token in a new family for the user. The
// family is the session: its id goes into the access tokens issued in it.
func (s *Store) StartSession(ctx context.Context, userID string, ttl time.Duration) (token, sessionID string, err error) {
	token, hash := auth.NewRefreshToken()
	sessionID = uuid.NewString()
	const q = `INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, $2, $3, $4)`
	_, err = s.db.ExecContext(ctx, q, hash, sessionID, userID, time.Now().Add(ttl))
	return token, sessionID, err
}

// Rotate exchanges a refresh token for a new one in the same family and returns
// the user. Presenting a token that was already rotated or revoked revokes the
// whole family: someone holds a copy.
func (s *Store) Rotate(ctx context.Context, token string, ttl time.Duration) (u User, next, sessionID string, err error) {
	var userID string
	var reused bool
	err = postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error {
		var rt struct {
			Family  string       `db:"family_id"`
			UserID  string       `db:"user_id"`
			Expires time.Time    `db:"expires_at"`
			Rotated sql.NullTime `db:"rotated_at"`
			Revoked sql.NullTime `db:"revoked_at"`
		}
		const sel = `SELECT family_id, user_id, expires_at, rotated_at, revoked_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE`
		if err := tx.GetContext(ctx, &rt, sel, auth.HashRefreshToken(token)); postgres.IsNoRows(err) {
			return ErrRefreshInvalid
		} else if err != nil {
			return err
		}
		if rt.Rotated.Valid || rt.Revoked.Valid {
			reused = true
			_, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND revoked_at IS NULL`, rt.Family)
			return err
		}
		if time.Now().After(rt.Expires) {
			return ErrRefreshInvalid
		}
		if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET rotated_at = now() WHERE token_hash = $1`, auth.HashRefreshToken(token)); err != nil {
			return err
		}
		var hash []byte
		next, hash = auth.NewRefreshToken()
		userID, sessionID = rt.UserID, rt.Family
		const ins = `INSERT INTO refresh_tokens (token_hash, family_id, user_id, expires_at) VALUES ($1, $2, $3, $4)`
		_, err := tx.ExecContext(ctx, ins, hash, rt.Family, rt.UserID, time.Now().Add(ttl))
		return err
	})
	if err != nil {
		return User{}, "", "", err
	}
	if reused {
		return User{}, "", "", ErrRefreshInvalid
	}
	u, err = s.User(ctx, userID)
	return u, next, sessionID, err
}

// RevokeFamily revokes the family of token when it belongs to userID.
func (s *Store) RevokeFamily(ctx context.Context, userID, token string) error {
	const q = `UPDATE refresh_tokens SET revoked_at = now()
		WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE token_hash = $1 AND user_id = $2)
		AND revoked_at IS NULL`
	_, err := s.db.ExecContext(ctx, q, auth.HashRefreshToken(token), userID)
	return err
}

// EndSession revokes the session (refresh token family) sessionID of userID,
// which ends the access tokens issued in it too.
func (s *Store) EndSession(ctx context.Context, userID, sessionID string) error {
	const q = `UPDATE refresh_tokens SET revoked_at = now() WHERE family_id = $1 AND user_id = $2 AND revoked_at IS NULL`
	_, err := s.db.ExecContext(ctx, q, sessionID, userID)
	return err
}

// RevokeAll ends every session of the user: it revokes every refresh token
// and raises the session version, which ends every access token issued
// before, including those made without a session.
func (s *Store) RevokeAll(ctx context.Context, userID string) error {
	return postgres.Transact(ctx, s.db, nil, func(tx *sqlx.Tx) error { return RevokeAll(ctx, tx, userID) })
}

// RevokeAll ends every session of userID inside the caller's transaction:
// refresh tokens are revoked and the session version raised, so access
// tokens issued before stop working on the next request.
func RevokeAll(ctx context.Context, tx sqlx.ExtContext, userID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE refresh_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL`, userID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE users SET session_version = session_version + 1, updated_at = now() WHERE id = $1`, userID)
	return err
}

// revokeOthers ends every session of the user but keep (the caller's own).
func revokeOthers(ctx context.Context, tx sqlx.ExtContext, userID, keep string) error {
	const q = `UPDATE refresh_tokens SET revoked_at = now()
		WHERE user_id = $1 AND revoked_at IS NULL AND family_id IS DISTINCT FROM nullif($2, '')::uuid`
	_, err := tx.ExecContext(ctx, q, userID, keep)
	return err
}
