package certification

import (
	"context"

	"github.com/cybercampus/cybercampus/internal/app"
)

// RotateKey makes a new certificate signing key current; older keys stay
// published so the certificates they signed keep verifying. It returns the
// new key's kid.
func RotateKey(ctx context.Context, d app.Deps) (string, error) {
	keys := NewKeyring(d.DB, d.Config.PublicBaseURL, d.Config.CertKeyEncryptionKey, d.Logger, d.Now)
	tp, err := keys.Rotate(ctx)
	if err != nil {
		return "", err
	}
	return keys.KeyID(tp), nil
}
