package certification

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/cybercampus/cybercampus/internal/postgres"
)

// KeyBits is the size of certificate signing keys: 2048-bit RSA verifies fast
// and meets the contract's minimum.
const KeyBits = 2048

// keyRefreshInterval bounds how often an unknown kid makes the keyring reload
// public keys from the database, so a flood of made-up kids cannot hammer it
// while a key rotated on another instance is still picked up within seconds.
const keyRefreshInterval = 3 * time.Second

// thumbprintPattern is the shape of an RFC 7638 SHA-256 thumbprint.
var thumbprintPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)

// JWK is a public RSA key as published in the JWK Set.
type JWK struct {
	Kid string `json:"kid"`
	Kty string `json:"kty"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
}

// signingKey is the current private key with its thumbprint.
type signingKey struct {
	thumbprint string
	key        *rsa.PrivateKey
}

// Keyring holds the certificate keys shared by every instance through the
// database: private keys encrypted at rest, public keys cached in memory.
type Keyring struct {
	db      *sqlx.DB
	keyURL  string // PUBLIC_BASE_URL/v1/certificates/keys/
	secret  string // CERT_KEY_ENCRYPTION_KEY; empty means the generated development secret
	logger  *slog.Logger
	now     func() time.Time
	mu      sync.RWMutex
	pubs    map[string]*rsa.PublicKey
	jwks    []JWK
	loaded  time.Time
	aead    cipher.AEAD
	signers map[string]*rsa.PrivateKey
	genMu   sync.Mutex // one key generation at a time in this process
}

// NewKeyring returns a keyring over db.
func NewKeyring(db *sqlx.DB, baseURL, secret string, logger *slog.Logger, now func() time.Time) *Keyring {
	return &Keyring{db: db, keyURL: baseURL + "/v1/certificates/keys/", secret: secret, logger: logger, now: now,
		pubs: map[string]*rsa.PublicKey{}, signers: map[string]*rsa.PrivateKey{}}
}

// KeyID returns the kid of the key with thumbprint: the URL of its own endpoint.
func (k *Keyring) KeyID(thumbprint string) string { return k.keyURL + thumbprint }

// thumbprintOf extracts the thumbprint from a kid that is exactly one of our
// key URLs; anything else (another origin, path tricks, odd characters) is not ours.
func (k *Keyring) thumbprintOf(kid string) (string, bool) {
	t, ok := strings.CutPrefix(kid, k.keyURL)
	return t, ok && thumbprintPattern.MatchString(t)
}

// Thumbprint returns the RFC 7638 JWK thumbprint of an RSA public key.
func Thumbprint(pub *rsa.PublicKey) string {
	// Required members only, in lexicographic order, no whitespace.
	canon := fmt.Sprintf(`{"e":"%s","kty":"RSA","n":"%s"}`, b64(big.NewInt(int64(pub.E)).Bytes()), b64(pub.N.Bytes()))
	sum := sha256.Sum256([]byte(canon))
	return b64(sum[:])
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// publicJWK returns the stored form of a public key (without kid, which
// depends on the public base URL).
func publicJWK(pub *rsa.PublicKey) JWK {
	return JWK{Kty: "RSA", Alg: "RS256", Use: "sig", N: b64(pub.N.Bytes()), E: b64(big.NewInt(int64(pub.E)).Bytes())}
}

func parseJWK(j JWK) (*rsa.PublicKey, error) {
	n, err1 := base64.RawURLEncoding.DecodeString(j.N)
	e, err2 := base64.RawURLEncoding.DecodeString(j.E)
	if err := errors.Join(err1, err2); err != nil || j.Kty != "RSA" || len(e) > 4 {
		return nil, errors.New("stored key is not an RSA JWK")
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
}

// cipher returns the AEAD that encrypts private keys, deriving its key once.
func (k *Keyring) cipher(ctx context.Context) (cipher.AEAD, error) {
	k.mu.RLock()
	a := k.aead
	k.mu.RUnlock()
	if a != nil {
		return a, nil
	}
	secret := []byte(k.secret)
	if k.secret == "" {
		k.logger.Warn("CERT_KEY_ENCRYPTION_KEY is not set: certificate keys are encrypted with a generated secret stored in the database; set it in production")
		s, err := postgres.Secret(ctx, k.db, "cert_key_encryption", 32)
		if err != nil {
			return nil, fmt.Errorf("certificate key secret: %w", err)
		}
		secret = s
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "cybercampus certificate signing keys v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	if a, err = cipher.NewGCM(block); err != nil {
		return nil, err
	}
	k.mu.Lock()
	k.aead = a
	k.mu.Unlock()
	return a, nil
}

// seal encrypts a PKCS#8 private key; the thumbprint is the associated data,
// so a ciphertext moved to another row does not decrypt.
func (k *Keyring) seal(ctx context.Context, priv *rsa.PrivateKey, thumbprint string) ([]byte, error) {
	a, err := k.cipher(ctx)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, a.NonceSize())
	rand.Read(nonce)
	return a.Seal(nonce, nonce, der, []byte(thumbprint)), nil
}

func (k *Keyring) open(ctx context.Context, enc []byte, thumbprint string) (*rsa.PrivateKey, error) {
	a, err := k.cipher(ctx)
	if err != nil {
		return nil, err
	}
	if len(enc) < a.NonceSize() {
		return nil, errors.New("stored certificate key is truncated")
	}
	der, err := a.Open(nil, enc[:a.NonceSize()], enc[a.NonceSize():], []byte(thumbprint))
	if err != nil {
		return nil, errors.New("cannot decrypt the certificate key: CERT_KEY_ENCRYPTION_KEY differs from the one it was stored with")
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, err
	}
	rk, ok := key.(*rsa.PrivateKey)
	if !ok {
		return nil, errors.New("stored certificate key is not RSA")
	}
	return rk, nil
}

// Current returns the current signing key, creating the first one when there
// is none. Instances racing to create it agree on one through the unique
// index on current.
func (k *Keyring) Current(ctx context.Context) (signingKey, error) {
	for range 3 {
		var row struct {
			Thumbprint string `db:"thumbprint"`
			Enc        []byte `db:"private_enc"`
		}
		err := k.db.GetContext(ctx, &row, `SELECT thumbprint, private_enc FROM certificate_keys WHERE current`)
		if postgres.IsNoRows(err) {
			if err := k.createFirst(ctx); err != nil {
				return signingKey{}, err
			}
			continue
		} else if err != nil {
			return signingKey{}, fmt.Errorf("current certificate key: %w", err)
		}
		return k.signer(ctx, row.Thumbprint, row.Enc)
	}
	return signingKey{}, errors.New("no current certificate key")
}

func (k *Keyring) signer(ctx context.Context, thumbprint string, enc []byte) (signingKey, error) {
	k.mu.RLock()
	priv := k.signers[thumbprint]
	k.mu.RUnlock()
	if priv != nil {
		return signingKey{thumbprint, priv}, nil
	}
	priv, err := k.open(ctx, enc, thumbprint)
	if err != nil {
		return signingKey{}, err
	}
	k.mu.Lock()
	k.signers[thumbprint] = priv
	k.mu.Unlock()
	return signingKey{thumbprint, priv}, nil
}

// createFirst generates a key and stores it as current unless another
// instance got there first: the insert is then a no-op thanks to the unique
// index on current.
func (k *Keyring) createFirst(ctx context.Context) error {
	k.genMu.Lock()
	defer k.genMu.Unlock()
	var n int // another goroutine may have created it while we waited
	if err := k.db.GetContext(ctx, &n, `SELECT count(*) FROM certificate_keys WHERE current`); err != nil || n > 0 {
		return err
	}
	tp, enc, jwk, err := k.generate(ctx)
	if err != nil {
		return err
	}
	const ins = `INSERT INTO certificate_keys (thumbprint, private_enc, public_jwk, current)
		VALUES ($1, $2, $3, true) ON CONFLICT DO NOTHING`
	if _, err := k.db.ExecContext(ctx, ins, tp, enc, string(jwk)); err != nil {
		return fmt.Errorf("store certificate key: %w", err)
	}
	k.logger.Info("certificate signing key created", "thumbprint", tp)
	return nil
}

// generate makes a new RSA key and returns its thumbprint, encrypted private
// key and public JWK.
func (k *Keyring) generate(ctx context.Context) (tp string, enc, jwk []byte, err error) {
	priv, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		return "", nil, nil, err
	}
	tp = Thumbprint(&priv.PublicKey)
	if enc, err = k.seal(ctx, priv, tp); err != nil {
		return "", nil, nil, err
	}
	jwk, err = json.Marshal(publicJWK(&priv.PublicKey))
	return tp, enc, jwk, err
}

// Rotate makes a new key current; the old ones stay published for verification.
func (k *Keyring) Rotate(ctx context.Context) (string, error) {
	var tp string
	err := postgres.Transact(ctx, k.db, nil, func(tx *sqlx.Tx) error {
		// Serialize rotations across instances so two never race on "current".
		_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('certificate_keys:rotate'))`)
		if err != nil {
			return err
		}
		tp, err = k.rotateIn(ctx, tx)
		return err
	})
	return tp, err
}

func (k *Keyring) rotateIn(ctx context.Context, tx *sqlx.Tx) (string, error) {
	tp, enc, jwk, err := k.generate(ctx)
	if err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE certificate_keys SET current = false, retired_at = now() WHERE current`); err != nil {
		return "", err
	}
	const ins = `INSERT INTO certificate_keys (thumbprint, private_enc, public_jwk, current) VALUES ($1, $2, $3, true)`
	if _, err := tx.ExecContext(ctx, ins, tp, enc, string(jwk)); err != nil {
		return "", fmt.Errorf("store certificate key: %w", err)
	}
	// Status lists are signed again, with the new key, when next read.
	const stale = `UPDATE status_lists SET jws = NULL, credential = NULL, signed_at = NULL, valid_until = NULL
		WHERE jws IS NOT NULL`
	if _, err := tx.ExecContext(ctx, stale); err != nil {
		return "", fmt.Errorf("mark status lists for signing: %w", err)
	}
	return tp, nil
}

// PublicKey returns our key for a kid. An unknown but well-formed kid makes
// the keyring reload from the database, at most every keyRefreshInterval.
func (k *Keyring) PublicKey(ctx context.Context, kid string) (*rsa.PublicKey, bool) {
	tp, ok := k.thumbprintOf(kid)
	if !ok {
		return nil, false
	}
	k.mu.RLock()
	pub, found := k.pubs[tp]
	stale := k.now().Sub(k.loaded) >= keyRefreshInterval
	k.mu.RUnlock()
	if found || !stale {
		return pub, found
	}
	if err := k.reload(ctx); err != nil {
		k.logger.Error("reload certificate keys", "error", err.Error())
		return nil, false
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	pub, found = k.pubs[tp]
	return pub, found
}

// JWKS returns every public key that ever signed, oldest first.
func (k *Keyring) JWKS(ctx context.Context) ([]JWK, error) {
	if err := k.reload(ctx); err != nil {
		return nil, err
	}
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.jwks, nil
}

func (k *Keyring) reload(ctx context.Context) error {
	var rows []struct {
		Thumbprint string `db:"thumbprint"`
		JWK        []byte `db:"public_jwk"`
	}
	const q = `SELECT thumbprint, public_jwk FROM certificate_keys ORDER BY created_at, thumbprint`
	if err := k.db.SelectContext(ctx, &rows, q); err != nil {
		return err
	}
	pubs := make(map[string]*rsa.PublicKey, len(rows))
	jwks := make([]JWK, 0, len(rows))
	for _, r := range rows {
		var j JWK
		if err := json.Unmarshal(r.JWK, &j); err != nil {
			return err
		}
		pub, err := parseJWK(j)
		if err != nil {
			return err
		}
		j.Kid = k.KeyID(r.Thumbprint)
		pubs[r.Thumbprint], jwks = pub, append(jwks, j)
	}
	k.mu.Lock()
	k.pubs, k.jwks, k.loaded = pubs, jwks, k.now()
	k.mu.Unlock()
	return nil
}
