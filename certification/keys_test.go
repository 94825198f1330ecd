package certification

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cybercampus/cybercampus/internal/postgres/pgtest"
)

func TestPrivateKeysAreEncrypted(t *testing.T) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	k := NewKeyring(testDB.DB, "http://cybercampus.test", strings.Repeat("a", 32), logger, time.Now)
	priv, err := rsa.GenerateKey(rand.Reader, KeyBits)
	if err != nil {
		t.Fatal(err)
	}
	tp := Thumbprint(&priv.PublicKey)
	enc, err := k.seal(context.Background(), priv, tp)
	if err != nil {
		t.Fatal(err)
	}
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	if bytes.Contains(enc, der[len(der)-64:]) || bytes.Contains(enc, priv.D.Bytes()[:32]) {
		t.Fatal("the stored key contains the plaintext key")
	}
	if got, err := k.open(context.Background(), enc, tp); err != nil || !got.Equal(priv) {
		t.Fatalf("round trip: %v", err)
	}
	for name, c := range map[string]struct {
		k  *Keyring
		tp string
	}{
		"another encryption key": {NewKeyring(testDB.DB, "http://cybercampus.test", strings.Repeat("b", 32), logger, time.Now), tp},
		"another row":            {k, Thumbprint(&rsa.PublicKey{N: priv.N, E: 3})},
	} {
		t.Run(name+" cannot decrypt it", func(t *testing.T) {
			if _, err := c.k.open(context.Background(), enc, c.tp); err == nil {
				t.Fatal("decrypted")
			}
		})
	}
	t.Run("without configuration a generated secret is shared through the database", func(t *testing.T) {
		a := NewKeyring(testDB.DB, "http://cybercampus.test", "", logger, time.Now)
		b := NewKeyring(testDB.DB, "http://cybercampus.test", "", logger, time.Now)
		enc, err := a.seal(context.Background(), priv, tp)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.open(context.Background(), enc, tp); err != nil {
			t.Fatalf("another instance cannot decrypt: %v", err)
		}
	})
}

// TestFirstKeyIsCreatedOnce starts several instances on an empty database at
// once: they must agree on one current key.
func TestFirstKeyIsCreatedOnce(t *testing.T) {
	db, err := pgtest.New("certkeys")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	var wg sync.WaitGroup
	got := make(chan string, 6)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := NewKeyring(db.DB, "http://cybercampus.test", "", logger, time.Now)
			key, err := k.Current(context.Background())
			if err != nil {
				t.Error(err)
				return
			}
			got <- key.thumbprint
		}()
	}
	wg.Wait()
	close(got)
	seen := map[string]bool{}
	for tp := range got {
		seen[tp] = true
	}
	var n int
	if err := db.Get(&n, `SELECT count(*) FROM certificate_keys`); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 1 || n != 1 {
		t.Fatalf("instances use %d keys; %d stored", len(seen), n)
	}
}
